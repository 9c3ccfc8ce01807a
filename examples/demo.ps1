<#
.SYNOPSIS
    A tour of VectorShard: create a shard, add a few thousand vectors with metadata, search, change profile.
.EXAMPLE
    dotnet pwsh ./build.ps1 Demo
#>
param(
    # The built module folder (build.ps1 passes out/VectorShard).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/VectorShard'),
    [int] $Count = 5000,
    [int] $Dimension = 384
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath

$path = Join-Path ([IO.Path]::GetTempPath()) "vectorshard-demo-$PID.vshard"
$shard = New-VectorShard -Path $path -Dimension $Dimension -Metric Cosine -Profile Balanced
Write-Host "Created $path"

# Add-Vector reads Key, Vector and Metadata from each piped row.
$random = [Random]::new(42)
$topics = 'sql', 'search', 'powershell', 'sync'
$rows = foreach ($i in 1..$Count) {
    $vector = [float[]]::new($Dimension)
    for ($d = 0; $d -lt $Dimension; $d++) { $vector[$d] = $random.NextDouble() * 2 - 1 }
    [pscustomobject]@{ Key = "doc-$i"; Vector = $vector; Metadata = @{ topic = $topics[$i % 4]; length = $random.Next(100, 5000) } }
}
$elapsed = Measure-Command { $rows | Add-Vector -Shard $shard }
Write-Host ("Added {0} vectors of {1} dimensions in {2:N2} s" -f $Count, $Dimension, $elapsed.TotalSeconds)

# The five nearest neighbours of doc-1 (itself first), then only among 'search' documents.
$query = (Get-Vector -Shard $shard -Key 'doc-1').Vector
Write-Host "`nNearest to doc-1:"
Search-Vector -Shard $shard -Query $query -K 5 | Format-Table | Out-Host
Write-Host "Nearest to doc-1 with topic 'search':"
Search-Vector -Shard $shard -Query $query -K 5 -Filter @{ topic = 'search' } | Format-Table | Out-Host

# Several queries on the pipeline: QueryIndex tells them apart.
Write-Host "Three queries at once, best match of each:"
'doc-10', 'doc-20', 'doc-30' | ForEach-Object { , (Get-Vector -Shard $shard -Key $_).Vector } |
    Search-Vector -Shard $shard -K 1 | Format-Table | Out-Host

Set-ShardProfile -Shard $shard -Profile Durable
Get-VectorShard $path | Out-Host
Remove-VectorShard $path -Confirm:$false
