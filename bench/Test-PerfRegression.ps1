<#
.SYNOPSIS
    Fails when VectorShard's search got slower or less exact than the committed baseline.
.DESCRIPTION
    Reruns the quick benchmark workloads (W1, W2) and compares, for each VectorShard contender, its p50
    latency as a multiple of the memory-bandwidth bound measured in the same run (so a slower or busier
    machine moves both sides) with the baseline's. A ratio worse than the baseline by more than -Margin,
    or a recall below the baseline's, fails. Run through `dotnet pwsh ./build.ps1 PerfCheck`; not part of
    the default test command (it takes about a minute and needs a quiet machine).
.EXAMPLE
    dotnet pwsh ./bench/Test-PerfRegression.ps1 -Margin 0.25
#>
param(
    # The committed baseline (a quick run's .json).
    [string] $Baseline = (Join-Path $PSScriptRoot 'VectorShard.Benchmarks/baseline-quick.json'),
    # How much worse a ratio may get before the check fails (0.30 = 30 %): these machines are noisy.
    [double] $Margin = 0.30,
    # Where this run's report goes.
    [string] $OutPath = (Join-Path ([IO.Path]::GetTempPath()) "vectorshard-perfcheck-$PID.md")
)
$ErrorActionPreference = 'Stop'
$project = Join-Path $PSScriptRoot 'VectorShard.Benchmarks'
# The baseline's workloads only: quick mode would add M1 when its corpus is cached, and the baseline has none.
& dotnet run -c Release --project $project -- --quick --workloads W1,W2 --no-sqlite-vec --no-usearch --out $OutPath | Out-Host
if ($LASTEXITCODE -ne 0) { throw "The benchmark failed with exit code $LASTEXITCODE (wrong neighbours or bad arguments)." }

$now = Get-Content ([IO.Path]::ChangeExtension($OutPath, '.json')) -Raw | ConvertFrom-Json
$then = Get-Content $Baseline -Raw | ConvertFrom-Json
$rows = foreach ($workload in $then.workloads) {
    $current = $now.workloads | Where-Object name -EQ $workload.name
    foreach ($old in $workload.contenders | Where-Object name -Like 'VectorShard*') {
        $new = $current.contenders | Where-Object name -EQ $old.name
        if (-not $new) { [pscustomobject]@{ Workload = $workload.name; Contender = $old.name; Baseline = $old.timesBound; Now = $null; Change = $null; Verdict = 'MISSING' }; continue }
        $change = $new.timesBound / $old.timesBound - 1
        $verdict = if ($change -gt $Margin) { 'SLOWER' } elseif ($new.recall -lt $old.recall) { 'LESS EXACT' } else { 'ok' }
        [pscustomobject]@{ Workload = $workload.name; Contender = $old.name; Baseline = [math]::Round($old.timesBound, 2); Now = [math]::Round($new.timesBound, 2); Change = '{0:+0%;-0%}' -f $change; Verdict = $verdict }
    }
}
$rows | Format-Table -AutoSize | Out-Host
$failed = @($rows | Where-Object Verdict -NE 'ok')
Write-Host ("{0} passed, {1} failed" -f (@($rows).Count - $failed.Count), $failed.Count)
if ($failed.Count -gt 0) { exit 1 }
