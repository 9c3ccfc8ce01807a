<#
.SYNOPSIS
    Measures what the cmdlets add on top of Core: Search-Vector against the Core search it calls, and
    Add-Vector from the pipeline against Core's bulk insert, side by side in one process.
.DESCRIPTION
    Uses the shards the search benchmark caches (run `dotnet pwsh ./build.ps1 Bench` once first): W1
    (10,000 × 1536) for search and 20,000 vectors of W2 (384 dims) for ingest. Core is reached through the
    module's own load context, so both sides run the same code on the same data. Prints a table of medians
    and the ratios the issue sets targets for (Search-Vector ≤ 1.3× Core; Add-Vector ≥ 100,000 vectors/s), and beside
    Search-Vector two references for PowerShell's own cost: the Core call through a one-line function, and the Core
    call followed by Write-Output 1.
.EXAMPLE
    dotnet pwsh ./bench/Measure-Cmdlets.ps1
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/VectorShard'),
    [string] $Cache = (Join-Path ([Environment]::GetFolderPath('UserProfile')) '.cache/vectorshard-bench'),
    [int] $Queries = 100,
    [int] $IngestCount = 20000,
    [int] $IngestRounds = 5,
    [int] $IngestWarmup = 8
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
# The float32 shards (the cache also holds Float16 copies, *.f16.vshard).
$w1 = Get-ChildItem $Cache -Filter 'W1-*.vshard' | Where-Object Name -NotLike '*.f16.vshard' | Select-Object -First 1
$w2 = Get-ChildItem $Cache -Filter 'W2-*.vshard' | Where-Object Name -NotLike '*.f16.vshard' | Select-Object -First 1
if (-not $w1 -or -not $w2) { throw "No cached W1/W2 shards in ${Cache}: run 'dotnet pwsh ./build.ps1 Bench' first." }

# Core, as the module loaded it (its private load context).
$core = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'VectorShard' |
    ForEach-Object Assemblies | Where-Object { $_.GetName().Name -eq 'VectorShard.Core' }
if (-not $core) { $null = Get-VectorShard $w1.FullName; return & $PSCommandPath @PSBoundParameters }
$registry = $core.GetType('VectorShard.Core.Storage.ShardRegistry')::Shared
$optionsType = $core.GetType('VectorShard.Core.Search.SearchOptions')
$inputType = $core.GetType('VectorShard.Core.Storage.VectorInput')

# Medians of pieces of work timed in turns, so that a slow phase of the machine hits all alike; $Before runs untimed
# ahead of each.
function Measure-Medians([scriptblock[]] $Work, [int] $Times, [scriptblock] $Before = {}) {
    foreach ($block in $Work) { $null = & $block }   # warm-up
    $samples = foreach ($i in 1..$Times) { , @($Work | ForEach-Object { & $Before; (Measure-Command $_).TotalMilliseconds }) }
    $middle = [int][math]::Floor($Times / 2)
    foreach ($w in 0..($Work.Count - 1)) { ($samples | ForEach-Object { $_[$w] } | Sort-Object)[$middle] }
}

# Search: the same query through the cmdlet and through Core (k = 5, default threads, as the cmdlet searches).
$shard = $registry.Open($w1.FullName)
$query = (Get-Vector -Shard $w1.FullName -Id 1).Vector
$options = [Activator]::CreateInstance($optionsType, @(5, [float]::PositiveInfinity, $null, 0, [VectorShard.SearchQuantization]::None, 4, $null, $false))
# Two references for what PowerShell itself adds: the Core call through a one-line function (the cheapest command
# PowerShell can run for it), and the Core call followed by Write-Output 1 (the cost of running any compiled cmdlet).
function Search-Core { $shard.Search($query, $options, 0) }
# Every side takes its arguments from plain variables.
$w1Path = $w1.FullName
$searches = @(
    { $shard.Search($query, $options, 0) }
    { Search-Core }
    { $shard.Search($query, $options, 0); Write-Output 1 }
    { Search-Vector -Shard $w1Path -Query $query -K 5 })
$coreSearch, $functionSearch, $writeOutputSearch, $cmdletSearch = Measure-Medians $searches $Queries
# The same with the CPU caches emptied before each call (520 MiB written, twice this VM's last-level cache), as the
# search benchmark measures every contender: each call then finds the shard's codes and PowerShell's code in memory.
$evict = [float[]]::new(130000000)
$coldCore, $coldFunction, $coldWriteOutput, $coldCmdlet = Measure-Medians $searches $Queries -Before { [Array]::Clear($evict) }
$evict = $null

# Ingest: 20,000 vectors of 384 dims, piped records into Add-Vector, and the same rows into Core's Add, each
# into a new shard (created before the clock starts), in turns; medians of $IngestRounds.
$records = @(Get-Vector -Shard $w2.FullName | Select-Object -First $IngestCount)
$list = [Activator]::CreateInstance([System.Collections.Generic.List``1].MakeGenericType($inputType))
foreach ($r in $records) { $list.Add([Activator]::CreateInstance($inputType, @($null, $r.Vector, $null))) }
$coreOptions = [Activator]::CreateInstance($core.GetType('VectorShard.Core.Storage.ShardOptions'),
    @(384, [VectorShard.DistanceMetric]::L2, [VectorShard.ShardProfile]::Balanced, $null, [VectorShard.StoragePrecision]::Float32))
$target = Join-Path ([IO.Path]::GetTempPath()) "vectorshard-cmdlets-$PID"
New-Item -ItemType Directory -Path $target -Force | Out-Null
$ingest = foreach ($round in 1..($IngestWarmup + $IngestRounds)) {
    # Each shard is closed (which finishes its checkpoint) before the other side's clock starts.
    $cmdletShard = New-VectorShard -Path "$target/cmdlet-$round.vshard" -Dimension 384 -Metric L2
    $cmdletSeconds = (Measure-Command { $records | Add-Vector -Shard $cmdletShard }).TotalSeconds
    $cmdletShard | Remove-VectorShard -Confirm:$false
    $coreShard = $registry.Create("$target/core-$round.vshard", $coreOptions, $false)
    $coreSeconds = (Measure-Command { $null = $coreShard.Add($list, $false, 0) }).TotalSeconds
    Remove-VectorShard "$target/core-$round.vshard" -Confirm:$false
    # The first rounds warm up and are not counted: the JIT tiers up PowerShell's pipeline and binder over the
    # first hundred thousand objects or so (on the 2-core Xeon, Add-Vector's first 120,000 ran at 81,000-150,000/s a
    # round of 20,000, the next 280,000 at 93,000-195,000, medians about 140,000). Every round's rate is printed too.
    [pscustomobject]@{ Cmdlet = $cmdletSeconds; Core = $coreSeconds; Counted = $round -gt $IngestWarmup }
}
Remove-Item $target -Recurse -Force
$middle = [int][math]::Floor($IngestRounds / 2)
$counted = $ingest | Where-Object Counted
$cmdletIngest = ($counted.Cmdlet | Sort-Object)[$middle]
$coreIngest = ($counted.Core | Sort-Object)[$middle]

[pscustomobject]@{ Measure = 'Search, W1 10,000 × 1536, k=5 (ms, median)'; Core = [math]::Round($coreSearch, 2); Cmdlet = [math]::Round($cmdletSearch, 2); Ratio = [math]::Round($cmdletSearch / $coreSearch, 2); Target = 'cmdlet ≤ 1.3× Core' }
[pscustomobject]@{ Measure = 'Search through a one-line PowerShell function (ms, median)'; Core = [math]::Round($coreSearch, 2); Cmdlet = [math]::Round($functionSearch, 2); Ratio = [math]::Round($functionSearch / $coreSearch, 2); Target = '(reference: PowerShell''s cost of a command)' }
[pscustomobject]@{ Measure = 'Search, then Write-Output 1 (ms, median)'; Core = [math]::Round($coreSearch, 2); Cmdlet = [math]::Round($writeOutputSearch, 2); Ratio = [math]::Round($writeOutputSearch / $coreSearch, 2); Target = '(reference: PowerShell''s cost of a compiled cmdlet)' }
[pscustomobject]@{ Measure = 'Search, caches emptied before each call (ms, median)'; Core = [math]::Round($coldCore, 2); Cmdlet = [math]::Round($coldCmdlet, 2); Ratio = [math]::Round($coldCmdlet / $coldCore, 2); Target = 'cmdlet ≤ 1.3× Core' }
[pscustomobject]@{ Measure = 'The same through a function / then Write-Output 1 (ms, median)'; Core = [math]::Round($coldFunction, 2); Cmdlet = [math]::Round($coldWriteOutput, 2); Ratio = '{0:N2} / {1:N2}' -f ($coldFunction / $coldCore), ($coldWriteOutput / $coldCore); Target = '(references, as above)' }
[pscustomobject]@{ Measure = "Ingest, $IngestCount × 384 (vectors/s, median of $IngestRounds after $IngestWarmup warm-up rounds)"; Core = [math]::Round($IngestCount / $coreIngest); Cmdlet = [math]::Round($IngestCount / $cmdletIngest); Ratio = [math]::Round($coreIngest / $cmdletIngest, 2); Target = 'Add-Vector ≥ 100,000/s' }
"Add-Vector, each round of $IngestCount in turn (vectors/s; the first $IngestWarmup warm-up): " +
    (($ingest | ForEach-Object { [math]::Round($IngestCount / $_.Cmdlet) }) -join ' ') | Write-Host
[pscustomobject]@{ Measure = "Ingest, first round in this process (vectors/s)"; Core = [math]::Round($IngestCount / $ingest[0].Core); Cmdlet = [math]::Round($IngestCount / $ingest[0].Cmdlet); Ratio = [math]::Round($ingest[0].Core / $ingest[0].Cmdlet, 2); Target = '' }
