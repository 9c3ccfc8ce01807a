#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the VectorShard module.
.DESCRIPTION
    Run with the repository's own PowerShell (a local .NET tool): `dotnet tool restore`, then
    `dotnet pwsh ./build.ps1 <Task>`.
      Build    publishes the module into out/VectorShard (the folder you Import-Module).
      Test     builds, runs the Core xunit tests (the code-kernel ones also without AVX-512 and without AVX-VNNI)
               and the Pester tests, prints 'N passed, N failed, N skipped'
               and exits non-zero on any failure.
      Demo     builds and runs examples/demo.ps1 against the built module.
      Package  builds and writes out/packages/VectorShard.<version>.nupkg, installable from a PowerShell repository.
      Bench    builds the MiniLM corpus once if it is not cached (bench/VectorShard.Corpus, a few minutes),
               runs the search benchmark (W1-W4 and the real-embeddings M1 against a naive scan, sqlite-vec
               and USearch's SIMD exact search) and rewrites bench/VectorShard.Benchmarks/RESULTS.md, .svg and .json.
      PerfCheck reruns the quick workloads and fails when a ratio worsened against the committed baseline.
      Clean    removes out/ and every bin/ and obj/ folder.
.EXAMPLE
    dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench', 'PerfCheck', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Where the module, test results and packages go.
    [string] $OutputPath = (Join-Path $PSScriptRoot 'out')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$out = $OutputPath
$moduleDir = Join-Path $out 'VectorShard'
# The native SQLite builds the module carries; NuGet's package has many more.
$shippedRuntimes = 'win-x64', 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

# A child PowerShell like this one: the dotnet tool runs as 'dotnet pwsh.dll', an installed pwsh as itself.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { , @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    else { , @($process) }
}

function Invoke-Build {
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    Invoke-Dotnet publish (Join-Path $root 'src/VectorShard.PowerShell') -c $Configuration -o $moduleDir --nologo -v quiet
    # Core and its packages go to deps/, loaded into the module's private load context.
    $deps = Join-Path $moduleDir 'deps'
    Invoke-Dotnet publish (Join-Path $root 'src/VectorShard.Core') -c $Configuration -o $deps --nologo -v quiet
    # The public types load once, from the module root, in PowerShell's default context.
    Remove-Item (Join-Path $deps 'VectorShard.Types.*')
    Get-ChildItem (Join-Path $deps 'runtimes') -Directory | Where-Object Name -NotIn $shippedRuntimes | Remove-Item -Recurse -Force
    Get-ChildItem $moduleDir -Recurse -Include '*.deps.json', '*.pdb' | Remove-Item
    Copy-Item (Join-Path $root 'VectorShard.psd1') $moduleDir
    Copy-Item (Join-Path $root 'src/VectorShard.PowerShell/VectorShard.format.ps1xml') $moduleDir
    $help = Join-Path $root 'src/VectorShard.PowerShell/en-US'
    if (Test-Path $help) { Copy-Item $help $moduleDir -Recurse }
    Write-Host "Module built: $moduleDir"
}

function Get-PesterModulePath {
    Invoke-Dotnet restore (Join-Path $root 'tests/Tools/Pester.csproj') --nologo -v quiet
    $packages = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    Join-Path $packages.Trim() 'pester/5.7.1/tools/Pester.psd1'
}

# Runs the Core xunit tests (those matching -Filter, with the -Environment variables set); returns their counts.
function Invoke-CoreTests([string] $Name = 'core', [string] $Filter, [hashtable] $Environment = @{}) {
    $results = Join-Path $out 'test-results'
    $trx = Join-Path $results "$Name.trx"
    Remove-Item $trx -ErrorAction Ignore
    $arguments = @('-c', $Configuration, '--nologo', '-v', 'quiet', '--logger', "trx;LogFileName=$Name.trx", '--results-directory', $results)
    if ($Filter) { $arguments += '--no-build', '--filter', $Filter }
    $saved = @{}
    foreach ($variable in $Environment.Keys) {
        $saved[$variable] = [Environment]::GetEnvironmentVariable($variable)
        [Environment]::SetEnvironmentVariable($variable, $Environment[$variable])
    }
    try { & dotnet test (Join-Path $root 'tests/VectorShard.Core.Tests') @arguments | Out-Host }
    finally { foreach ($variable in $saved.Keys) { [Environment]::SetEnvironmentVariable($variable, $saved[$variable]) } }
    if (-not (Test-Path $trx)) { return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }  # did not build or run
    $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.notExecuted
    }
}

# Runs the Pester tests in a child PowerShell (so this one never loads the module); returns their counts.
function Invoke-PesterTests {
    $pester = Get-PesterModulePath
    $summary = Join-Path $out 'pester-summary.json'
    Remove-Item $summary -ErrorAction Ignore
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester'
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/Pester')'
`$config.Run.PassThru = `$true
`$config.Run.Exit = `$false
`$config.Output.Verbosity = 'Normal'
`$config.Output.RenderMode = 'Plaintext'
`$env:VECTORSHARD_MODULE = '$moduleDir'
`$r = Invoke-Pester -Configuration `$config
# A file that fails to load counts as a failed container, not as a failed test: count it anyway.
@{ Passed = `$r.PassedCount; Failed = `$r.FailedCount + `$r.FailedContainersCount + `$r.FailedBlocksCount; Skipped = `$r.SkippedCount } |
    ConvertTo-Json | Set-Content '$summary'
"@
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script | Out-Host
    if (-not (Test-Path $summary)) { return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    Get-Content $summary -Raw | ConvertFrom-Json
}

function Invoke-Test {
    Invoke-Build
    # The integer code kernels (int8, 4-bit, sign bits) choose their path by instruction set. Their tests run again with
    # the runtime hiding AVX-512 (the AVX2 and scalar paths) and AVX-VNNI (the AVX-512 batch tile), so that one machine
    # tests the paths other machines take.
    $codeKernelTests = 'FullyQualifiedName~QuantizedSearchTests|FullyQualifiedName~BoundedScanTests'
    $suites = @(
        Invoke-CoreTests
        Invoke-CoreTests -Name 'core-no-avx512' -Filter $codeKernelTests -Environment @{ DOTNET_EnableAVX512 = '0' }
        Invoke-CoreTests -Name 'core-no-avxvnni' -Filter $codeKernelTests -Environment @{ DOTNET_EnableAVXVNNI = '0' }
        Invoke-PesterTests)
    $passed = ($suites | Measure-Object Passed -Sum).Sum
    $failed = ($suites | Measure-Object Failed -Sum).Sum
    $skipped = ($suites | Measure-Object Skipped -Sum).Sum
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'examples/demo.ps1') -ModulePath $moduleDir
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Package {
    Invoke-Build
    $packages = Join-Path $out 'packages'
    New-Item $packages -ItemType Directory -Force | Out-Null
    Get-ChildItem $packages -Filter *.nupkg | Remove-Item
    # Publish into a folder repository: the .nupkg any PowerShell repository (PSGallery included) accepts.
    $repository = "VectorShardBuild-$PID"
    Register-PSResourceRepository -Name $repository -Uri $packages -Trusted
    try { Publish-PSResource -Path $moduleDir -Repository $repository -SkipDependenciesCheck }
    finally { Unregister-PSResourceRepository -Name $repository }
    Get-ChildItem $packages -Filter *.nupkg | ForEach-Object { Write-Host "Package: $($_.FullName)" }
}

function Invoke-Bench {
    # The M1 workload's embeddings: built once into the benchmark cache, reused after (the builder says so).
    Invoke-Dotnet run -c Release --project (Join-Path $root 'bench/VectorShard.Corpus')
    Invoke-Dotnet run -c Release --project (Join-Path $root 'bench/VectorShard.Benchmarks') -- --out (Join-Path $root 'bench/VectorShard.Benchmarks/RESULTS.md')
    Invoke-Dotnet run -c Release --project (Join-Path $root 'bench/VectorShard.KernelBenchmarks')
}

function Invoke-PerfCheck {
    & (Join-Path $root 'bench/Test-PerfRegression.ps1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Clean {
    Remove-Item $out -Recurse -Force -ErrorAction Ignore
    Get-ChildItem $root -Recurse -Directory -Include bin, obj | Remove-Item -Recurse -Force
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Bench' { Invoke-Bench }
    'PerfCheck' { Invoke-PerfCheck }
    'Clean' { Invoke-Clean }
}
