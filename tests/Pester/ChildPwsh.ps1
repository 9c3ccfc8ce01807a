# Starting a fresh PowerShell from a test: load contexts never unload, so tests of import order, isolation
# and persistence need a new process. Dot-sourced by TestSupport.ps1 and by the Module.* tests (which must
# not import the module into the Pester process).

function Get-PwshCommand {
    <# How to start a child PowerShell like this one: 'dotnet pwsh.dll' for the dotnet tool, else pwsh itself. #>
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { , @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    else { , @($process) }
}

function Invoke-ChildPwsh {
    <#
    Runs a script in a fresh pwsh. $Variables become string variables in the child; the child reports with
    Write-Result (one JSON object). Returns ExitCode, Output (all lines) and Result (the parsed JSON).
    #>
    param([Parameter(Mandatory)] [string] $Script, [hashtable] $Variables = @{})
    $lines = @(
        '$ErrorActionPreference = ''Stop'''
        '$PSStyle.OutputRendering = ''PlainText'''
        'function Write-Result($Value) { ''RESULT:'' + ($Value | ConvertTo-Json -Compress -Depth 6) }'
        foreach ($name in $Variables.Keys) { '${0} = ''{1}''' -f $name, ($Variables[$name] -replace "'", "''") }
        $Script
    )
    $file = Join-Path $TestDrive ('child-{0}.ps1' -f [guid]::NewGuid().ToString('n'))
    Set-Content -LiteralPath $file -Value $lines -Encoding utf8
    $pwsh = Get-PwshCommand
    $output = @(& $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $file 2>&1 | ForEach-Object ToString)
    $exitCode = $LASTEXITCODE
    $json = $output | Where-Object { $_ -like 'RESULT:*' } | Select-Object -Last 1
    [pscustomobject]@{
        ExitCode = $exitCode
        Output   = $output -join [Environment]::NewLine
        Result   = if ($json) { $json.Substring(7) | ConvertFrom-Json } else { $null }
    }
}
