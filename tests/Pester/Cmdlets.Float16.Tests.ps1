BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    function ConvertTo-Half {
        <# The float a Float16 shard stores for each value: rounded to the nearest IEEE half. #>
        param([float[]] $Vector)
        , [float[]]@($Vector | ForEach-Object { [float][Half]$_ })
    }
}
AfterAll { Remove-TestShard }

Describe 'New-VectorShard -Precision' {
    It 'creates a Float16 shard file that says so, also when opened again in another process' {
        $path = New-TestShardPath 'half'
        $shard = New-VectorShard -Path $path -Dimension 4 -Metric L2 -Precision Float16

        $shard.Precision | Should -Be ([VectorShard.StoragePrecision]::Float16)
        (Get-VectorShard $path).Precision | Should -Be 'Float16'
        $child = Invoke-ModuleInChildPwsh "(Get-VectorShard -Path '$path').Precision.ToString()"
        "$child".Trim() | Should -Be 'Float16'
    }

    It 'defaults to Float32' {
        (New-TestShard -Dimension 2).Precision | Should -Be ([VectorShard.StoragePrecision]::Float32)
    }

    It 'takes -Precision with -InMemory too' {
        $shard = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2 -Precision Float16
        $shard.Precision | Should -Be 'Float16'
        $shard.IsInMemory | Should -BeTrue
    }

    It 'refuses a precision that does not exist' {
        { New-VectorShard -Path (New-TestShardPath) -Dimension 2 -Precision Float64 } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,*'
    }

    It 'shows the precision in the default view' {
        $shard = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2 -Precision Float16
        $shard | Out-String -Width 200 | Should -Match 'Precision\s*:\s*Float16'
    }
}

Describe 'A Float16 shard' {
    BeforeAll {
        $script:Half = New-VectorShard -Path (New-TestShardPath 'f16') -Dimension 3 -Metric L2 -Precision Float16
        $script:Rows = @(
            [pscustomobject]@{ Key = 'a'; Vector = [float[]](0.1, 0.2, 0.3) }
            [pscustomobject]@{ Key = 'b'; Vector = [float[]](1.0001, -2.5, 1000.7) }
            [pscustomobject]@{ Key = 'c'; Vector = [float[]](-0.333, 0.5, 3.14159) }
        )
        $Rows | Add-Vector -Shard $Half
    }

    It 'returns the half-rounded values of <Key> from Get-Vector' -ForEach @(@{ Key = 'a' }, @{ Key = 'b' }, @{ Key = 'c' }) {
        $row = $Rows | Where-Object Key -EQ $Key
        $expected = ConvertTo-Half $row.Vector
        $stored = (Get-Vector -Shard $Half -Key $Key).Vector

        $stored | Should -Be $expected
        $stored | Should -Not -Be $row.Vector -Because 'the input is not representable in half precision'
    }

    It 'searches by the stored values' {
        $query = [float[]](0, 0.5, 3)
        $results = Search-Vector -Shard $Half -Query $query -K 3

        $expected = Get-ReferenceNeighbour -Rows @($Rows | ForEach-Object { [pscustomobject]@{ Key = $_.Key; Vector = (ConvertTo-Half $_.Vector) } }) -Query $query -Metric L2 -K 3
        $results.Key | Should -Be $expected.Key
        for ($i = 0; $i -lt 3; $i++) {
            $results[$i].Distance | Should -BeGreaterOrEqual ($expected[$i].Distance - 1e-4)
            $results[$i].Distance | Should -BeLessOrEqual ($expected[$i].Distance + 1e-4)
        }
    }

    It 'refuses a component beyond +/-65504 with VectorOutOfRange and writes nothing' {
        $before = (Get-VectorShard $Half.Path).Count
        $bad = @(
            [pscustomobject]@{ Key = 'fine'; Vector = [float[]](1, 2, 3) }
            [pscustomobject]@{ Key = 'huge'; Vector = [float[]](1, 70000, 3) }
        )

        $err = Get-TerminatingError { $bad | Add-Vector -Shard $Half }

        Assert-ShardError $err -ErrorId 'VectorOutOfRange' -Category InvalidData
        $err.Exception.Message | Should -Match "'huge'"
        $err.Exception.Message | Should -Match 'index 1'
        (Get-VectorShard $Half.Path).Count | Should -Be $before
        Get-Vector -Shard $Half -Key 'fine' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Help for -Precision' {
    It 'documents the parameter with its type and values' {
        $parameter = Get-Help New-VectorShard -Parameter Precision
        $parameter.type.name | Should -Be 'VectorShard.StoragePrecision'
        ($parameter.description | Out-String) | Should -Match 'Float16'
    }

    It 'has an example that creates a Float16 shard' {
        $codes = (Get-Help New-VectorShard -Full).examples.example | ForEach-Object { "$($_.code)" }
        $codes | Where-Object { $_ -match '-Precision Float16' } | Should -Not -BeNullOrEmpty
    }
}
