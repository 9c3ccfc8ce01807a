BeforeAll { Import-Module ($env:VECTORSHARD_MODULE ?? (Join-Path $PSScriptRoot '../../out/VectorShard')) }

# The help of every exported cmdlet (en-US/VectorShard.PowerShell.dll-Help.xml) and the about topic
# (en-US/about_VectorShard.help.txt): present, complete, in step with the cmdlets' real parameters,
# and with examples that parse and run.

BeforeDiscovery {
    # Discovery needs the cmdlets, their parameters and their examples to generate one test each.
    $module = Import-Module ($env:VECTORSHARD_MODULE ?? (Join-Path $PSScriptRoot '../../out/VectorShard')) -PassThru
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
    $cmdlets = foreach ($command in $module.ExportedCmdlets.Values | Sort-Object Name) {
        $help = Get-Help $command.Name -Full
        $examples = @($help.examples.example | Where-Object { $_ })
        @{
            Name       = $command.Name
            Parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
            Examples   = @(for ($i = 0; $i -lt $examples.Count; $i++) {
                    @{ Command = $command.Name; Number = $i + 1; Code = [string]$examples[$i].code }
                })
        }
    }
}

Describe '<Name> help' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
        $helpParameters = @($help.parameters.parameter)

        $CommonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

        # The text of a MAML description (an array of paragraphs), or '' when there is none.
        function Get-HelpText($description) {
            (@($description | ForEach-Object { $_.Text }) -join "`n").Trim()
        }

        # What the cmdlet's own metadata says about a parameter, in the terms Get-Help uses.
        function Get-ParameterFacts([System.Management.Automation.ParameterMetadata] $parameter) {
            $sets = @($parameter.ParameterSets.Values)
            $positions = @($sets.Position | Where-Object { $_ -ge 0 } | Sort-Object -Unique)
            $pipeline = @(
                if ($sets.ValueFromPipelineByPropertyName -contains $true) { 'ByPropertyName' }
                if ($sets.ValueFromPipeline -contains $true) { 'ByValue' }
            )
            $type = [Nullable]::GetUnderlyingType($parameter.ParameterType) ?? $parameter.ParameterType
            [pscustomobject]@{
                Required  = $sets.IsMandatory -contains $true
                Position  = if ($positions.Count) { $positions -join ',' } else { 'named' }
                Pipeline  = $pipeline
                Aliases   = @($parameter.Aliases | Sort-Object)
                Type      = $type.FullName
                Wildcards = [bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            }
        }

        # What the help says about a parameter, in the same terms.
        function Get-HelpParameterFacts($helpParameter) {
            $aliases = "$($helpParameter.aliases)".Trim()
            [pscustomobject]@{
                Required  = "$($helpParameter.required)" -eq 'true'
                Position  = "$($helpParameter.position)".ToLowerInvariant()
                Pipeline  = @([regex]::Matches("$($helpParameter.pipelineInput)", 'ByPropertyName|ByValue').Value | Sort-Object)
                Aliases   = @(if ($aliases -and $aliases -ne 'none') { $aliases -split ',\s*' | Sort-Object })
                Type      = "$($helpParameter.type.name)"
                Wildcards = "$($helpParameter.globbing)" -eq 'true'
            }
        }
    }

    It 'comes from the help file, not from the generated syntax' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis.Trim() | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)"
        $help.Synopsis | Should -Not -Match '\[-\w+|<CommonParameters>'
        $help.ModuleName | Should -Be 'VectorShard'
    }

    It 'has a description' {
        Get-HelpText $help.description | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code and remarks' {
        $examples = @($help.examples.example | Where-Object { $_ })
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            "$($example.code)".Trim() | Should -Not -BeNullOrEmpty -Because $example.title
            Get-HelpText $example.remarks | Should -Not -BeNullOrEmpty -Because $example.title
        }
    }

    It 'describes its inputs and outputs' {
        @($help.inputTypes.inputType).Count | Should -BeGreaterOrEqual 1
        @($help.returnValues.returnValue).Count | Should -BeGreaterOrEqual 1
        foreach ($output in $command.OutputType.Name) {
            @($help.returnValues.returnValue.type.name) | Should -Contain $output -Because 'every [OutputType] is documented'
        }
    }

    It 'has related links' {
        @($help.relatedLinks.navigationLink).Count | Should -BeGreaterOrEqual 1
    }

    It 'has a description for -<Parameter>' -ForEach @($Parameters | ForEach-Object { @{ Parameter = $_ } }) {
        $documented = $helpParameters | Where-Object name -EQ $Parameter
        $documented | Should -Not -BeNullOrEmpty -Because "-$Parameter must be in the help"
        Get-HelpText $documented.description | Should -Not -BeNullOrEmpty
    }

    It 'documents -<Parameter> as the cmdlet declares it' -ForEach @($Parameters | ForEach-Object { @{ Parameter = $_ } }) {
        $documented = $helpParameters | Where-Object name -EQ $Parameter
        $documented | Should -Not -BeNullOrEmpty
        $actual = Get-ParameterFacts $command.Parameters[$Parameter]
        $written = Get-HelpParameterFacts $documented
        $written.Required | Should -Be $actual.Required -Because 'required'
        $written.Position | Should -Be $actual.Position -Because 'position'
        $written.Pipeline -join ', ' | Should -Be (($actual.Pipeline | Sort-Object) -join ', ') -Because 'pipeline input'
        $written.Aliases -join ', ' | Should -Be ($actual.Aliases -join ', ') -Because 'aliases'
        $written.Type | Should -Be $actual.Type -Because 'type'
        $written.Wildcards | Should -Be $actual.Wildcards -Because 'wildcards'
    }

    It 'documents no parameter the cmdlet does not have' {
        $extra = $helpParameters.name | Where-Object { $_ -notin $command.Parameters.Keys }
        $extra | Should -BeNullOrEmpty
    }

    It 'has one syntax block per parameter set, with the parameters of that set' {
        $syntax = @($help.syntax.syntaxItem | ForEach-Object { (@($_.parameter.name) | Sort-Object) -join ',' })
        $sets = @($command.ParameterSets | ForEach-Object {
                (@($_.Parameters.Name | Where-Object { $_ -notin $CommonParameters }) | Sort-Object) -join ','
            })
        $syntax.Count | Should -Be $sets.Count
        foreach ($set in $sets) {
            $syntax | Should -Contain $set
        }
    }

    It 'example <Number> parses and uses only commands that exist, <Command> among them' -ForEach $Examples {
        $tokens = $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $used = @($ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true).GetCommandName() |
                Where-Object { $_ } | Sort-Object -Unique)
        $used | Should -Contain $Command
        foreach ($name in $used) {
            Get-Command $name -ErrorAction Ignore | Should -Not -BeNullOrEmpty -Because "example $Number runs $name"
        }
    }
}

Describe 'Help examples' {
    BeforeAll {
        # Every cmdlet's examples run in order, the first in an empty folder, in a separate PowerShell (a clean
        # set of open shards, and no prompt can wait for an answer). Each reports its first error.
        $root = Join-Path ([IO.Path]::GetTempPath()) "vectorshard-help-$([guid]::NewGuid().ToString('N'))"
        New-Item -Path $root -ItemType Directory | Out-Null
        $results = Join-Path $root 'results.json'
        $modulePath = (Get-Module VectorShard).Path | Split-Path
        $runner = @'
param([string] $ModulePath, [string] $Root, [string] $Results)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$report = [ordered]@{}
foreach ($command in (Get-Module VectorShard).ExportedCmdlets.Keys | Sort-Object) {
    $folder = Join-Path $Root $command
    New-Item -Path $folder -ItemType Directory | Out-Null
    Push-Location $folder
    # The examples run dot-sourced in one scope, so later ones see earlier ones' variables: keep the
    # runner's own state where an example cannot overwrite it.
    $state = @{ Ran = 0 }
    try {
        & {
            foreach ($vsHelpExample in @((Get-Help $command -Full).examples.example | Where-Object { $_ })) {
                $state.Ran++
                . ([scriptblock]::Create($vsHelpExample.code)) | Out-String | Out-Null
            }
        }
        $report[$command] = @{ Ran = $state.Ran; Error = $null }
    }
    catch {
        $report[$command] = @{ Ran = $state.Ran; Error = "example $($state.Ran): $($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    }
    finally {
        Pop-Location
    }
}
$report | ConvertTo-Json | Set-Content -Path $Results
'@
        $runnerPath = Join-Path $root 'run-examples.ps1'
        Set-Content -Path $runnerPath -Value $runner
        . $PSScriptRoot/ChildPwsh.ps1
        $pwsh = Get-PwshCommand
        $output = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File $runnerPath $modulePath $root $results 2>&1
        $report = if (Test-Path $results) { Get-Content $results -Raw | ConvertFrom-Json -AsHashtable } else { @{} }
    }

    AfterAll {
        Remove-Item -Path $root -Recurse -Force -ErrorAction Ignore
    }

    It 'the examples of <Name> run in order without error' -ForEach $cmdlets {
        $report.Keys | Should -Contain $Name -Because "the runner must report on it (its output: $($output -join "`n"))"
        $report[$Name].Error | Should -BeNullOrEmpty
        $report[$Name].Ran | Should -Be $Examples.Count
    }
}

Describe 'about_VectorShard' {
    BeforeAll {
        $about = Get-Help about_VectorShard -ErrorAction Stop | Out-String
    }

    It 'is found by Get-Help' {
        $about | Should -Match 'TOPIC\s+about_VectorShard'
        $about | Should -Match 'SHORT DESCRIPTION'
        $about | Should -Match 'LONG DESCRIPTION'
    }

    It 'covers <_>' -ForEach 'PROFILES', 'DISTANCE METRICS', 'METADATA', 'FILTERS', 'BATCHES AND TRANSACTIONS', 'IN-MEMORY SHARDS', 'ERRORS' {
        $about | Should -Match "(?m)^$([regex]::Escape($_))\s*$"
    }

    It 'names every cmdlet' {
        foreach ($name in (Get-Module VectorShard).ExportedCmdlets.Keys) {
            $about | Should -Match ([regex]::Escape($name))
        }
    }

    It 'keeps its lines within 80 columns' {
        $file = Join-Path ((Get-Module VectorShard).Path | Split-Path) 'en-US/about_VectorShard.help.txt'
        $long = Get-Content $file | Where-Object Length -GT 80
        $long | Should -BeNullOrEmpty
    }
}
