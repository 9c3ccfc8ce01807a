BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    $script:All = @('idx_vectors_confidence', 'idx_vectors_created_norm', 'idx_vectors_norm')
    $script:Minimal = @('idx_vectors_created_norm')

    function New-IndexedShard([string] $ShardProfile = 'Balanced', [string] $Workload = 'None', [int] $Value = 0) {
        $path = New-TestShardPath 'idx'
        New-VectorShard -Path $path -Dimension 3 -Metric L2 -Profile $ShardProfile -Workload $Workload -WorkloadValue $Value
    }
}

Describe 'Indexes: created by New-VectorShard per profile and workload' {
    AfterAll { Remove-TestShard }

    It '<Profile> with <Workload> has <Count> index(es)' -ForEach @(
        @{ Profile = 'Balanced'; Workload = 'None'; Value = 0; Count = 3 }
        @{ Profile = 'Durable'; Workload = 'Mixed'; Value = 20; Count = 3 }
        @{ Profile = 'Exclusive'; Workload = 'None'; Value = 0; Count = 3 }
        @{ Profile = 'UltraFast'; Workload = 'None'; Value = 0; Count = 1 }
        @{ Profile = 'UltraFast'; Workload = 'ReadHeavy'; Value = 100; Count = 3 }
        @{ Profile = 'Balanced'; Workload = 'WriteHeavy'; Value = 5000; Count = 1 }
        @{ Profile = 'Durable'; Workload = 'WriteHeavy'; Value = 5000; Count = 1 }
    ) {
        $info = New-IndexedShard $Profile $Workload $Value
        $expected = if ($Count -eq 3) { $All } else { $Minimal }
        $info.Indexes | Should -Be $expected
        (Get-VectorShard $info.Path).Indexes | Should -Be $expected
    }

    It 'gives an in-memory shard the UltraFast set' {
        (New-TestShard -InMemory -Dimension 2).Indexes | Should -Be $Minimal
    }
}

Describe 'Indexes: reconciled by Set-ShardProfile' {
    AfterAll { Remove-TestShard }

    It 'drops the read indexes for WriteHeavy and creates them again for ReadHeavy, keeping the vectors' {
        $shard = New-IndexedShard
        Add-Vector $shard -Vector 1, 2, 3 -Key a -Metadata @{ confidence = 0.9 }

        (Set-ShardProfile $shard -Workload WriteHeavy -WorkloadValue 5000 -PassThru).Indexes | Should -Be $Minimal
        (Get-VectorShard $shard.Path).Indexes | Should -Be $Minimal

        (Set-ShardProfile $shard -Workload ReadHeavy -WorkloadValue 500 -PassThru).Indexes | Should -Be $All
        (Set-ShardProfile $shard -Profile UltraFast -Workload None -PassThru).Indexes | Should -Be $Minimal
        (Set-ShardProfile $shard -Profile Durable -PassThru).Indexes | Should -Be $All

        (Get-VectorShard $shard.Path).Count | Should -Be 1
        (Search-Vector $shard -Query 1, 2, 3 -K 1 -Filter @{ confidence = 0.9 }).Key | Should -Be 'a'
    }

    It 'changes no index with -WhatIf' {
        $shard = New-IndexedShard
        Set-ShardProfile $shard -Workload WriteHeavy -WorkloadValue 5000 -WhatIf
        (Get-VectorShard $shard.Path).Indexes | Should -Be $All
    }

    It 'keeps the indexes in the file: a new process sees them' {
        $shard = New-IndexedShard
        Set-ShardProfile $shard -Workload WriteHeavy -WorkloadValue 5000
        $child = Invoke-ModuleInChildPwsh "(Get-VectorShard -Path '$($shard.Path)').Indexes -join ','"
        "$child".Trim() | Should -Be ($Minimal -join ',')
    }
}

Describe 'Indexes: searches give the same results with and without them' {
    BeforeAll {
        $script:Rows = foreach ($i in 0..59) {
            $meta = @{ kind = if ($i % 2) { 'a' } else { 'b' } }
            if ($i % 3 -eq 0) { $meta.confidence = 0.5 } elseif ($i % 3 -eq 1) { $meta.confidence = 1 }
            [pscustomobject]@{ Key = "k$i"; Vector = @((($i % 7) - 3), (($i % 5) * 0.5), ($i / 10)); Metadata = $meta }
        }
        $script:Indexed = New-IndexedShard -Workload ReadHeavy -Value 100
        $script:Bare = New-IndexedShard -Workload WriteHeavy -Value 100
        $script:Rows[0..29] | Add-Vector $Indexed
        $script:Rows[0..29] | Add-Vector $Bare
        Start-Sleep -Milliseconds 20
        $script:Since = [DateTime]::UtcNow
        Start-Sleep -Milliseconds 20
        $script:Rows[30..59] | Add-Vector $Indexed
        $script:Rows[30..59] | Add-Vector $Bare
    }
    AfterAll { Remove-TestShard }

    It 'finds the same neighbours for <Name>' -ForEach @(
        @{ Name = 'a filter on confidence'; Arguments = @{ Filter = @{ confidence = 0.5 } } }
        @{ Name = 'kind and confidence'; Arguments = @{ Filter = @{ kind = 'a'; confidence = 1 } } }
        @{ Name = 'a filter with a threshold'; Arguments = @{ Filter = @{ kind = 'b' }; Threshold = 2.5 } }
        @{ Name = 'vectors since a time'; Arguments = @{ CreatedAfter = 'since' } }
        @{ Name = 'since a time with a threshold'; Arguments = @{ CreatedAfter = 'since'; Threshold = 3 } }
    ) {
        $arguments = $Arguments.Clone()
        if ($arguments.CreatedAfter) { $arguments.CreatedAfter = $Since }
        $one = Search-Vector $Indexed -Query 1, 0.5, 2 -K 8 @arguments
        $two = Search-Vector $Bare -Query 1, 0.5, 2 -K 8 @arguments

        $one | Should -Not -BeNullOrEmpty
        ($one | ForEach-Object { "$($_.Key)=$($_.Distance)" }) | Should -Be ($two | ForEach-Object { "$($_.Key)=$($_.Distance)" })
        if ($arguments.CreatedAfter) {
            $one.Key | ForEach-Object { [int]$_.Substring(1) | Should -BeGreaterOrEqual 30 }
        }
        if ($arguments.Threshold) {
            $one.Distance | ForEach-Object { $_ | Should -BeLessOrEqual $arguments.Threshold }
        }
    }

    It '-CreatedAfter takes a local time as the same instant' {
        $local = $Since.ToLocalTime()
        (Search-Vector $Indexed -Query 1, 0.5, 2 -K 100 -CreatedAfter $local).Count | Should -Be 30
        (Search-Vector $Indexed -Query 1, 0.5, 2 -K 100 -CreatedAfter $Since.AddHours(-1)).Count | Should -Be 60
    }
}

Describe 'Remove-Vector -OlderThan (pruning by age)' {
    BeforeEach {
        $script:Aged = New-IndexedShard -Workload WriteHeavy -Value 1000
        Add-Vector $Aged -Vector 1, 0, 0 -Key old1
        Add-Vector $Aged -Vector 0, 1, 0 -Key old2
        Start-Sleep -Milliseconds 20
        $script:Cutoff = Get-Date
        Start-Sleep -Milliseconds 20
        Add-Vector $Aged -Vector 0, 0, 1 -Key new1
    }
    AfterAll { Remove-TestShard }

    It 'removes exactly the vectors written before the time, in one transaction' {
        Remove-Vector $Aged -OlderThan $Cutoff -Confirm:$false

        (Get-Vector -Shard $Aged).Key | Should -Be @('new1')
        (Get-VectorShard $Aged.Path).Version | Should -Be 5
        (Search-Vector $Aged -Query 1, 0, 0 -K 5).Key | Should -Be @('new1')
    }

    It 'takes a UTC time as the same instant' {
        Remove-Vector $Aged -OlderThan $Cutoff.ToUniversalTime() -Confirm:$false
        (Get-Vector -Shard $Aged).Key | Should -Be @('new1')
    }

    It 'removes nothing with -WhatIf' {
        Remove-Vector $Aged -OlderThan (Get-Date).AddDays(1) -WhatIf
        (Get-VectorShard $Aged.Path).Count | Should -Be 3
    }

    It 'refuses -OlderThan with -Key (OlderThanWithKeyOrId) and removes nothing' {
        $err = Get-TerminatingError { Remove-Vector $Aged -Key old1 -OlderThan (Get-Date).AddDays(1) -Confirm:$false }
        $err.FullyQualifiedErrorId | Should -Match '^OlderThanWithKeyOrId'
        (Get-VectorShard $Aged.Path).Count | Should -Be 3
    }
}
