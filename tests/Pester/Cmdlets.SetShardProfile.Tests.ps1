BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    # The pragmas each profile must read back (before any workload tuning).
    $script:ExpectedPragmas = @{
        Balanced  = @{ JournalMode = 'wal'; Synchronous = 'NORMAL'; LockingMode = 'NORMAL'; CacheSizeKiB = 16384; PageSize = 4096
            MmapSize = 268435456; WalAutoCheckpoint = 1000; TempStore = 'DEFAULT'; SecureDelete = $false }
        Durable   = @{ JournalMode = 'wal'; Synchronous = 'FULL'; LockingMode = 'NORMAL'; CacheSizeKiB = 16384; PageSize = 4096
            MmapSize = 268435456; WalAutoCheckpoint = 100; TempStore = 'DEFAULT'; SecureDelete = $true }
        Exclusive = @{ JournalMode = 'wal'; Synchronous = 'NORMAL'; LockingMode = 'EXCLUSIVE'; CacheSizeKiB = 16384; PageSize = 4096
            MmapSize = 268435456; WalAutoCheckpoint = 1000; TempStore = 'DEFAULT'; SecureDelete = $false }
        UltraFast = @{ JournalMode = 'memory'; Synchronous = 'OFF'; LockingMode = 'EXCLUSIVE'; CacheSizeKiB = 16384; PageSize = 4096
            MmapSize = 268435456; WalAutoCheckpoint = 1000; TempStore = 'MEMORY'; SecureDelete = $false }
    }

    function Assert-Pragma($Pragmas, [string] $ShardProfile) {
        $Pragmas | Should -Not -BeNullOrEmpty
        foreach ($entry in $script:ExpectedPragmas[$ShardProfile].GetEnumerator()) {
            $Pragmas.($entry.Key) | Should -Be $entry.Value -Because "$ShardProfile sets $($entry.Key)"
        }
    }

    function New-ShardWithVector([string] $ShardProfile = 'Balanced') {
        $shard = New-TestShard -Dimension 3 -Metric L2 -ShardProfile $ShardProfile
        Add-Vector $shard -Vector 1, 2, 3 -Key one
        Add-Vector $shard -Vector 4, 5, 6 -Key two
        $shard
    }
}

Describe 'Set-ShardProfile: profiles' {
    AfterAll { Remove-TestShard }

    It 'sets <To> from <From>: the pragmas read back, the vectors stay' -ForEach @(
        @{ From = 'Balanced'; To = 'UltraFast' }
        @{ From = 'Balanced'; To = 'Durable' }
        @{ From = 'Balanced'; To = 'Exclusive' }
        @{ From = 'Durable'; To = 'Balanced' }
        @{ From = 'UltraFast'; To = 'Balanced' }
        @{ From = 'UltraFast'; To = 'Durable' }
        @{ From = 'Exclusive'; To = 'UltraFast' }
        @{ From = 'Exclusive'; To = 'Balanced' }
    ) {
        $shard = New-ShardWithVector $From
        Assert-Pragma (Get-VectorShard $shard.Path).Pragmas $From

        Set-ShardProfile -Shard $shard -Profile $To

        $info = Get-VectorShard $shard.Path
        $info.Profile.ToString() | Should -Be $To
        Assert-Pragma $info.Pragmas $To
        $info.Count | Should -Be 2
        $info.Version | Should -Be 2 -Because 'a profile change writes no vectors'
        (Get-Vector -Shard $shard -Key two).Vector | Should -Be @(4, 5, 6)
        (Search-Vector -Shard $shard -Query 4, 5, 6 -K 1).Key | Should -Be 'two'
    }

    It 'keeps accepting writes after a change to <To>' -ForEach @(
        @{ To = 'UltraFast' }, @{ To = 'Durable' }, @{ To = 'Exclusive' }, @{ To = 'Balanced' }
    ) {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard $To

        Add-Vector $shard -Vector 7, 8, 9 -Key three
        Remove-Vector $shard -Key one

        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 2
        $info.Version | Should -Be 4
        (Get-Vector -Shard $shard).Key | Should -Be @('two', 'three')
    }

    It 'takes the profile by position and the shard as a path string' {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard.Path Durable
        (Get-VectorShard $shard.Path).Profile | Should -Be 'Durable'
    }

    It 'takes the shard from the pipeline' {
        $shard = New-ShardWithVector
        $shard | Set-ShardProfile -Profile Durable
        Assert-Pragma (Get-VectorShard $shard.Path).Pragmas Durable
    }

    It 'takes several shards from the pipeline' {
        $one = New-ShardWithVector
        $two = New-ShardWithVector
        $one, $two | Set-ShardProfile -Profile Exclusive
        (Get-VectorShard $one.Path, $two.Path).Profile | Should -Be @('Exclusive', 'Exclusive')
    }

    It 'emits nothing without -PassThru' {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard Durable | Should -BeNullOrEmpty
    }

    It 'emits the shard with its new effective pragmas with -PassThru' {
        $shard = New-ShardWithVector
        $info = Set-ShardProfile $shard Durable -PassThru

        $info | Should -BeOfType [VectorShard.ShardInfo]
        @($info).Count | Should -Be 1
        $info.Path | Should -Be $shard.Path
        $info.Profile | Should -Be 'Durable'
        $info.Count | Should -Be 2
        Assert-Pragma $info.Pragmas Durable
    }

    It 'keeps the profile when only a workload is given' {
        $shard = New-ShardWithVector Durable
        $info = Set-ShardProfile $shard -Workload WriteHeavy -WorkloadValue 4000 -PassThru
        $info.Profile | Should -Be 'Durable'
        $info.Pragmas.Synchronous | Should -Be 'FULL'
        $info.Workload.Kind | Should -Be 'WriteHeavy'
        $info.Pragmas.WalAutoCheckpoint | Should -Be 4000
    }

    It 'keeps the workload when only a profile is given' {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard -Workload WriteHeavy -WorkloadValue 3000
        $info = Set-ShardProfile $shard -Profile Exclusive -PassThru
        $info.Workload.Kind | Should -Be 'WriteHeavy'
        $info.Workload.Value | Should -Be 3000
        $info.Pragmas.WalAutoCheckpoint | Should -Be 3000
        $info.Pragmas.LockingMode | Should -Be 'EXCLUSIVE'
    }
}

Describe 'Set-ShardProfile: workloads' {
    AfterAll { Remove-TestShard }

    It 'tunes <Workload> <Value> on Balanced' -ForEach @(
        @{ Workload = 'ReadHeavy'; Value = 50; Cache = 65536; Checkpoint = 1000; TempStore = 'MEMORY' }
        @{ Workload = 'ReadHeavy'; Value = 500; Cache = 131072; Checkpoint = 1000; TempStore = 'MEMORY' }
        @{ Workload = 'ReadHeavy'; Value = 5000; Cache = 262144; Checkpoint = 1000; TempStore = 'MEMORY' }
        @{ Workload = 'WriteHeavy'; Value = 5000; Cache = 16384; Checkpoint = 5000; TempStore = 'DEFAULT' }
        @{ Workload = 'WriteHeavy'; Value = 50000; Cache = 16384; Checkpoint = 10000; TempStore = 'DEFAULT' }
        @{ Workload = 'WriteHeavy'; Value = 10; Cache = 16384; Checkpoint = 1000; TempStore = 'DEFAULT' }
        @{ Workload = 'Mixed'; Value = 50; Cache = 139264; Checkpoint = 5500; TempStore = 'DEFAULT' }
        @{ Workload = 'Mixed'; Value = 0; Cache = 16384; Checkpoint = 10000; TempStore = 'DEFAULT' }
        @{ Workload = 'Mixed'; Value = 100; Cache = 262144; Checkpoint = 1000; TempStore = 'DEFAULT' }
    ) {
        $shard = New-ShardWithVector

        $info = Set-ShardProfile $shard -Workload $Workload -WorkloadValue $Value -PassThru

        $info.Profile | Should -Be 'Balanced'
        $info.Workload.Kind.ToString() | Should -Be $Workload
        $info.Workload.Value | Should -Be $Value
        $info.Pragmas.CacheSizeKiB | Should -Be $Cache
        $info.Pragmas.WalAutoCheckpoint | Should -Be $Checkpoint
        $info.Pragmas.TempStore | Should -Be $TempStore
        # Workloads never touch how much a crash may cost.
        $info.Pragmas.JournalMode | Should -Be 'wal'
        $info.Pragmas.Synchronous | Should -Be 'NORMAL'
        $info.Pragmas.LockingMode | Should -Be 'NORMAL'
        (Get-VectorShard $shard.Path).Pragmas.CacheSizeKiB | Should -Be $Cache
    }

    It 'goes back to the profile''s own pragmas with -Workload None' {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard -Workload Mixed -WorkloadValue 20
        $info = Set-ShardProfile $shard -Workload None -PassThru
        $info.Workload.Kind | Should -Be 'None'
        Assert-Pragma $info.Pragmas Balanced
    }

    It 'rejects <Workload> <Value> (InvalidWorkload, InvalidArgument) and changes nothing' -ForEach @(
        @{ Workload = 'Mixed'; Value = 101 }
        @{ Workload = 'Mixed'; Value = -1 }
        @{ Workload = 'ReadHeavy'; Value = 0 }
        @{ Workload = 'WriteHeavy'; Value = -10 }
    ) {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard -Workload WriteHeavy -WorkloadValue 2000

        $err = Get-TerminatingError { Set-ShardProfile $shard -Profile Durable -Workload $Workload -WorkloadValue $Value }

        Assert-ShardError $err -ErrorId InvalidWorkload -Category InvalidArgument
        $info = Get-VectorShard $shard.Path
        $info.Profile | Should -Be 'Balanced'
        $info.Workload.Kind | Should -Be 'WriteHeavy'
        $info.Workload.Value | Should -Be 2000
        $info.Pragmas.WalAutoCheckpoint | Should -Be 2000
    }

    It 'rejects a workload name it does not know' {
        $shard = New-ShardWithVector
        { Set-ShardProfile $shard -Workload Sideways -WorkloadValue 1 } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        (Get-VectorShard $shard.Path).Workload.Kind | Should -Be 'None'
    }
}

Describe 'Set-ShardProfile: -WhatIf' {
    AfterAll { Remove-TestShard }

    It 'changes neither the profile nor the pragmas, and emits nothing even with -PassThru' {
        $shard = New-ShardWithVector
        $out = Set-ShardProfile $shard -Profile UltraFast -Workload ReadHeavy -WorkloadValue 5000 -PassThru -WhatIf

        $out | Should -BeNullOrEmpty
        $info = Get-VectorShard $shard.Path
        $info.Profile | Should -Be 'Balanced'
        $info.Workload.Kind | Should -Be 'None'
        Assert-Pragma $info.Pragmas Balanced
    }
}

Describe 'Set-ShardProfile: in-memory shards' {
    AfterAll { Remove-TestShard }

    It 'refuses <To> for an in-memory shard (InMemoryProfileFixed, InvalidOperation) and keeps it working' -ForEach @(
        @{ To = 'Balanced' }, @{ To = 'Durable' }, @{ To = 'Exclusive' }
    ) {
        $shard = New-TestShard -InMemory -Dimension 2
        Add-Vector $shard -Vector 1, 2

        $err = Get-TerminatingError { Set-ShardProfile $shard -Profile $To }

        Assert-ShardError $err -ErrorId InMemoryProfileFixed -Category InvalidOperation
        $info = Get-VectorShard $shard.Path
        $info.Profile | Should -Be 'UltraFast'
        $info.Count | Should -Be 1
    }

    It 'accepts UltraFast with a workload for an in-memory shard' {
        $shard = New-TestShard -InMemory -Dimension 2
        Add-Vector $shard -Vector 1, 2

        $info = Set-ShardProfile $shard -Profile UltraFast -Workload WriteHeavy -WorkloadValue 7000 -PassThru

        $info.Profile | Should -Be 'UltraFast'
        $info.Pragmas.WalAutoCheckpoint | Should -Be 7000
        $info.Count | Should -Be 1 -Because 'the in-memory data must survive the change'
    }
}

Describe 'Set-ShardProfile: persistence' {
    AfterAll { Remove-TestShard }

    It 'is stored in the shard: a new process opens it with the same profile, workload and pragmas' {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard -Profile Durable -Workload WriteHeavy -WorkloadValue 5000

        $json = Invoke-ModuleInChildPwsh "Get-VectorShard -Path '$($shard.Path)' | ConvertTo-Json -Depth 4 -EnumsAsStrings"
        $child = $json | ConvertFrom-Json

        $child.Path | Should -Be $shard.Path
        $child.Profile | Should -Be 'Durable'
        $child.Workload.Kind | Should -Be 'WriteHeavy'
        $child.Workload.Value | Should -Be 5000
        $child.Count | Should -Be 2
        $child.Pragmas.JournalMode | Should -Be 'wal'
        $child.Pragmas.Synchronous | Should -Be 'FULL'
        $child.Pragmas.SecureDelete | Should -BeTrue
        $child.Pragmas.CacheSizeKiB | Should -Be 16384
        $child.Pragmas.WalAutoCheckpoint | Should -Be 5000
    }

    It 'survives Remove-Module and Import-Module (the shard is closed and reopened)' {
        $shard = New-ShardWithVector
        Set-ShardProfile $shard -Profile Exclusive -Workload Mixed -WorkloadValue 50

        Remove-Module VectorShard
        try {
            Get-Command Get-VectorShard -ErrorAction Ignore | Should -BeNullOrEmpty
        }
        finally { Import-Module $script:VectorShardModulePath -Global -ErrorAction Stop }

        $info = Get-VectorShard $shard.Path
        $info.Profile | Should -Be 'Exclusive'
        $info.Workload.Kind | Should -Be 'Mixed'
        $info.Workload.Value | Should -Be 50
        $info.Pragmas.LockingMode | Should -Be 'EXCLUSIVE'
        $info.Pragmas.CacheSizeKiB | Should -Be 139264
        $info.Pragmas.WalAutoCheckpoint | Should -Be 5500
        $info.Count | Should -Be 2
    }
}

Describe 'Set-ShardProfile -WorkloadValue alone' {
    AfterAll { Remove-TestShard }

    It 'changes the number of the current workload, keeping its kind' {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 2 -Workload WriteHeavy -WorkloadValue 2000
        $info = Set-ShardProfile $path -WorkloadValue 6000 -PassThru
        $info.Workload.Kind | Should -Be 'WriteHeavy'
        $info.Workload.Value | Should -Be 6000
        $info.Pragmas.WalAutoCheckpoint | Should -Be 6000
    }
}
