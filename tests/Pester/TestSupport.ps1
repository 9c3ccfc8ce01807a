<#
.SYNOPSIS
    Shared helpers of the Cmdlets.*.Tests.ps1 files; dot-source it in a BeforeAll:
        BeforeAll { . $PSScriptRoot/TestSupport.ps1 }
.DESCRIPTION
    Imports the built module from $env:VECTORSHARD_MODULE (build.ps1 sets it), or else from
    ../../out/VectorShard relative to this file, and offers small functions: seeded random vectors,
    shard paths under $TestDrive, error-record checks, a naive nearest-neighbour reference, and ways to
    run code in a child pwsh process or in a fresh runspace.
#>

$script:VectorShardModulePath = if ($env:VECTORSHARD_MODULE) { $env:VECTORSHARD_MODULE }
else { [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../out/VectorShard')) }

if (-not (Test-Path (Join-Path $script:VectorShardModulePath 'VectorShard.psd1'))) {
    throw "The built module is not at '$script:VectorShardModulePath': run 'dotnet pwsh ./build.ps1 Build' or set VECTORSHARD_MODULE."
}

# Another test file may have imported VectorShard from elsewhere (a package, say): use the one under test.
$loaded = Get-Module VectorShard
if ($loaded -and [IO.Path]::GetFullPath($loaded.ModuleBase).TrimEnd('/', '\') -ne [IO.Path]::GetFullPath($script:VectorShardModulePath).TrimEnd('/', '\')) {
    Remove-Module VectorShard -Force
}
Import-Module $script:VectorShardModulePath -Global -ErrorAction Stop

# Every shard the helpers create, so that Remove-TestShard can close and delete them (an open shard
# would otherwise stay in the process-wide registry after $TestDrive is gone).
$script:TestShardPaths = [System.Collections.Generic.List[string]]::new()

function New-TestRandom {
    <# A [Random] with a fixed seed, so every run sees the same vectors. #>
    param([int] $Seed = 42)
    [Random]::new($Seed)
}

function New-TestVector {
    <# A float[] of uniform components in [-1, 1) from a seeded [Random]. #>
    param(
        [Parameter(Mandatory)] [int] $Dimension,
        [Random] $Random = [Random]::new(42)
    )
    $vector = [float[]]::new($Dimension)
    for ($i = 0; $i -lt $Dimension; $i++) { $vector[$i] = [float]($Random.NextDouble() * 2 - 1) }
    , $vector
}

function New-TestRow {
    <# $Count rows with Key, Vector and Metadata (topic a/b/c, n = index, even = bool), the shape Add-Vector reads from piped objects. #>
    param(
        [Parameter(Mandatory)] [int] $Count,
        [Parameter(Mandatory)] [int] $Dimension,
        [Random] $Random = [Random]::new(42),
        [string] $Prefix = 'k'
    )
    $topics = 'a', 'b', 'c'
    for ($i = 0; $i -lt $Count; $i++) {
        [pscustomobject]@{
            Key      = "$Prefix$i"
            Vector   = New-TestVector -Dimension $Dimension -Random $Random
            Metadata = @{ topic = $topics[$i % 3]; n = $i; even = ($i % 2 -eq 0) }
        }
    }
}

function New-TestShardPath {
    <# A fresh shard file path under $TestDrive (the file is not created). #>
    param([string] $Name = 'shard')
    $path = Join-Path $TestDrive ('{0}-{1}.vshard' -f $Name, [guid]::NewGuid().ToString('n').Substring(0, 8))
    $script:TestShardPaths.Add($path)
    $path
}

function New-TestMemoryName {
    <# A unique in-memory shard name: in-memory shards live in a process-wide registry shared by every test file. #>
    param([string] $Name = 'mem')
    $name = '{0}-{1}' -f $Name, [guid]::NewGuid().ToString('n').Substring(0, 8)
    $script:TestShardPaths.Add("memory:$name")
    $name
}

function New-TestShard {
    <# Creates a shard file under $TestDrive (or an in-memory shard) and returns its ShardInfo. #>
    param(
        [int] $Dimension = 4,
        [VectorShard.DistanceMetric] $Metric = 'Cosine',
        [VectorShard.ShardProfile] $ShardProfile = 'Balanced',
        [string] $Name = 'shard',
        [switch] $InMemory
    )
    if ($InMemory) {
        New-VectorShard -InMemory -Name (New-TestMemoryName $Name) -Dimension $Dimension -Metric $Metric -ErrorAction Stop
    }
    else {
        New-VectorShard -Path (New-TestShardPath $Name) -Dimension $Dimension -Metric $Metric -Profile $ShardProfile -ErrorAction Stop
    }
}

function Remove-TestShard {
    <# Closes and deletes every shard the helpers made (call it in AfterAll); ignores ones already gone. #>
    foreach ($path in $script:TestShardPaths) {
        if ($path.StartsWith('memory:') -or (Test-Path -LiteralPath $path)) {
            if (Test-Path -LiteralPath $path) { Set-ItemProperty -LiteralPath $path -Name IsReadOnly -Value $false -ErrorAction Ignore }
            Remove-VectorShard -Shard $path -Confirm:$false -ErrorAction Ignore
        }
    }
    $script:TestShardPaths.Clear()
}

function Get-TerminatingError {
    <# Runs the script block and returns the ErrorRecord it throws; fails the test when it throws nothing. #>
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock)
    try { $null = & $ScriptBlock }
    catch { return $_ }
    throw 'Expected a terminating error, but the command completed.'
}

function Assert-ShardError {
    <#
    Checks an ErrorRecord: its FullyQualifiedErrorId starts with "<ErrorId>," (PowerShell appends the
    cmdlet's type name) and its category is the one given.
    #>
    param(
        [Parameter(Mandatory)] [AllowNull()] $ErrorRecord,
        [Parameter(Mandatory)] [string] $ErrorId,
        [System.Management.Automation.ErrorCategory] $Category
    )
    $ErrorRecord | Should -Not -BeNullOrEmpty -Because "an error $ErrorId was expected"
    @($ErrorRecord).Count | Should -Be 1 -Because "exactly one error $ErrorId was expected"
    $ErrorRecord = @($ErrorRecord)[0]
    $ErrorRecord | Should -BeOfType [System.Management.Automation.ErrorRecord]
    $ErrorRecord.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
    if ($PSBoundParameters.ContainsKey('Category')) {
        $ErrorRecord.CategoryInfo.Category | Should -Be $Category
    }
}

function Get-ReferenceDistance {
    <# The distance a naive PowerShell implementation computes, in double precision. #>
    param([float[]] $Query, [float[]] $Vector, [string] $Metric)
    $dot = 0.0; $qq = 0.0; $vv = 0.0; $l2 = 0.0
    for ($i = 0; $i -lt $Query.Length; $i++) {
        $q = [double]$Query[$i]; $v = [double]$Vector[$i]
        $dot += $q * $v; $qq += $q * $q; $vv += $v * $v; $l2 += ($q - $v) * ($q - $v)
    }
    switch ($Metric) {
        'Cosine' { 1.0 - $dot / ([Math]::Sqrt($qq) * [Math]::Sqrt($vv)) }
        'L2' { [Math]::Sqrt($l2) }
        'Dot' { - $dot }
        default { throw "Unknown metric $Metric" }
    }
}

function Get-ReferenceNeighbour {
    <# The exact K nearest rows (Key, Distance) by a naive scan, best first. #>
    param(
        [Parameter(Mandatory)] [object[]] $Rows,
        [Parameter(Mandatory)] [float[]] $Query,
        [Parameter(Mandatory)] [string] $Metric,
        [int] $K = 10
    )
    $Rows |
        ForEach-Object { [pscustomobject]@{ Key = $_.Key; Distance = (Get-ReferenceDistance -Query $Query -Vector $_.Vector -Metric $Metric) } } |
        Sort-Object Distance |
        Select-Object -First $K
}

. $PSScriptRoot/ChildPwsh.ps1

function Invoke-ModuleInChildPwsh {
    <#
    Runs a script in a new pwsh process that has imported the module, and returns its output as one
    string. Fails when the child exits with an error.
    #>
    param([Parameter(Mandatory)] [string] $Script)
    $child = Invoke-ChildPwsh -Script "Import-Module '$($script:VectorShardModulePath)'`n$Script"
    if ($child.ExitCode -ne 0) { throw "The child pwsh failed ($($child.ExitCode)): $($child.Output)" }
    $child.Output
}

function Invoke-InRunspace {
    <#
    Runs a script in a fresh runspace of this process that has imported the module, with the variables
    given. Returns Output, Progress (the ProgressRecords it wrote) and Errors, read from the PowerShell
    instance's streams, which record progress whatever this session's $ProgressPreference is.
    #>
    param(
        [Parameter(Mandatory)] [string] $Script,
        [hashtable] $Variables = @{}
    )
    $state = [initialsessionstate]::CreateDefault2()
    $state.ImportPSModule($script:VectorShardModulePath)
    foreach ($name in $Variables.Keys) {
        $state.Variables.Add([System.Management.Automation.Runspaces.SessionStateVariableEntry]::new($name, $Variables[$name], ''))
    }
    $powershell = [powershell]::Create($state)
    try {
        $output = $powershell.AddScript($Script).Invoke()
        [pscustomobject]@{
            Output   = @($output)
            Progress = @($powershell.Streams.Progress)
            Errors   = @($powershell.Streams.Error)
        }
    }
    finally { $powershell.Dispose() }
}
