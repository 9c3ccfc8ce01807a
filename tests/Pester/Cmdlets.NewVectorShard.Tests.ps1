BeforeAll { . $PSScriptRoot/TestSupport.ps1 }

Describe 'New-VectorShard: a shard file' {
    AfterAll { Remove-TestShard }

    It 'creates the file and describes it: path, dimension, metric, profile, workload, empty' {
        $path = New-TestShardPath
        $shard = New-VectorShard -Path $path -Dimension 16 -Metric L2 -Profile Durable

        $path | Should -Exist
        $shard | Should -BeOfType [VectorShard.ShardInfo]
        $shard.Path | Should -Be $path
        $shard.IsInMemory | Should -BeFalse
        $shard.Dimension | Should -Be 16
        $shard.Metric | Should -Be ([VectorShard.DistanceMetric]::L2)
        $shard.Profile | Should -Be ([VectorShard.ShardProfile]::Durable)
        $shard.Workload.Kind | Should -Be ([VectorShard.WorkloadKind]::None)
        $shard.Count | Should -Be 0
        $shard.Version | Should -Be 0
        $shard.FormatVersion | Should -Be 2
        $shard.SizeBytes | Should -BeGreaterThan 0
        $shard.Pragmas.JournalMode | Should -Be 'wal'
        $shard.Pragmas.Synchronous | Should -Be 'FULL'
    }

    It 'defaults to Cosine, Balanced and no workload' {
        $shard = New-VectorShard -Path (New-TestShardPath) -Dimension 3

        $shard.Metric | Should -Be 'Cosine'
        $shard.Profile | Should -Be 'Balanced'
        $shard.Workload.Kind | Should -Be 'None'
        $shard.Pragmas.JournalMode | Should -Be 'wal'
        $shard.Pragmas.Synchronous | Should -Be 'NORMAL'
    }

    It 'records a workload and shows it on the output' {
        $shard = New-VectorShard -Path (New-TestShardPath) -Dimension 3 -Workload WriteHeavy -WorkloadValue 5000

        $shard.Workload.Kind | Should -Be 'WriteHeavy'
        $shard.Workload.Value | Should -Be 5000
        $shard.Pragmas.WalAutoCheckpoint | Should -Be 5000
    }

    It 'shows metric <Metric> as given' -ForEach @(
        @{ Metric = 'Cosine' }, @{ Metric = 'L2' }, @{ Metric = 'Dot' }
    ) {
        $shard = New-VectorShard -Path (New-TestShardPath) -Dimension 2 -Metric $Metric
        $shard.Metric.ToString() | Should -Be $Metric
        (Get-VectorShard $shard.Path).Metric.ToString() | Should -Be $Metric
    }

    It 'resolves a relative path against the PowerShell location, not the process folder' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive "rel-$(New-Guid)")
        $name = 'relative.vshard'
        $script:TestShardPaths.Add((Join-Path $folder.FullName $name))
        Push-Location $folder.FullName
        try {
            $shard = New-VectorShard -Path $name -Dimension 3
            $again = Get-VectorShard -Path $name
        }
        finally { Pop-Location }

        $expected = Join-Path $folder.FullName $name
        $shard.Path | Should -Be $expected
        $expected | Should -Exist
        $again.Path | Should -Be $expected
        Join-Path ([Environment]::CurrentDirectory) $name | Should -Not -Be $expected
    }

    It 'accepts a path in a PowerShell drive' {
        $path = New-TestShardPath
        $shard = New-VectorShard -Path "TestDrive:/$(Split-Path $path -Leaf)" -Dimension 3
        $shard.Path | Should -Be $path
        $path | Should -Exist
    }
}

Describe 'New-VectorShard: an in-memory shard' {
    AfterAll { Remove-TestShard }

    It 'creates memory:<name>, always UltraFast, with no file' {
        $name = New-TestMemoryName
        $shard = New-VectorShard -InMemory -Name $name -Dimension 8 -Metric Dot

        $shard | Should -BeOfType [VectorShard.ShardInfo]
        $shard.Path | Should -Be "memory:$name"
        $shard.IsInMemory | Should -BeTrue
        $shard.Dimension | Should -Be 8
        $shard.Metric | Should -Be 'Dot'
        $shard.Profile | Should -Be 'UltraFast'
        $shard.SizeBytes | Should -Be 0
        $shard.Pragmas.JournalMode | Should -Be 'memory'
        $shard.Pragmas.Synchronous | Should -Be 'OFF'
        Get-ChildItem $TestDrive -Filter "*$name*" | Should -BeNullOrEmpty
    }

    It 'shows the workload given' {
        $shard = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2 -Workload Mixed -WorkloadValue 50

        $shard.Workload.Kind | Should -Be 'Mixed'
        $shard.Workload.Value | Should -Be 50
        $shard.Pragmas.CacheSizeKiB | Should -Be 139264
    }

    It 'stores vectors that a later command finds by the memory: path' {
        $shard = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2
        Add-Vector $shard -Vector 1, 2 -Key one

        (Get-VectorShard $shard.Path).Count | Should -Be 1
        (Get-Vector -Shard $shard.Path -Key one).Vector | Should -Be @(1, 2)
    }

    It 'refuses a second in-memory shard of the same name without -Force (ShardExists)' {
        $name = New-TestMemoryName
        $null = New-VectorShard -InMemory -Name $name -Dimension 2
        Add-Vector "memory:$name" -Vector 1, 2

        $err = Get-TerminatingError { New-VectorShard -InMemory -Name $name -Dimension 2 }

        Assert-ShardError $err -ErrorId ShardExists -Category ResourceExists
        (Get-VectorShard "memory:$name").Count | Should -Be 1
    }

    It 'replaces an in-memory shard with -Force' {
        $name = New-TestMemoryName
        $null = New-VectorShard -InMemory -Name $name -Dimension 2
        Add-Vector "memory:$name" -Vector 1, 2

        $shard = New-VectorShard -InMemory -Name $name -Dimension 5 -Force

        $shard.Dimension | Should -Be 5
        $shard.Count | Should -Be 0
    }
}

Describe 'New-VectorShard: -Force' {
    AfterAll { Remove-TestShard }

    It 'replaces an existing shard: its vectors are gone, the new settings apply' {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 3 -Metric Cosine
        Add-Vector $path -Vector 1, 2, 3 -Key old
        (Get-VectorShard $path).Count | Should -Be 1

        $shard = New-VectorShard -Path $path -Dimension 5 -Metric L2 -Force

        $shard.Dimension | Should -Be 5
        $shard.Metric | Should -Be 'L2'
        $shard.Count | Should -Be 0
        $shard.Version | Should -Be 0
        Get-Vector -Shard $path | Should -BeNullOrEmpty
    }

    It 'creates the shard when nothing exists at the path' {
        $path = New-TestShardPath
        $shard = New-VectorShard -Path $path -Dimension 3 -Force
        $shard.Count | Should -Be 0
        $path | Should -Exist
    }
}

Describe 'New-VectorShard: errors' {
    AfterAll { Remove-TestShard }

    It 'refuses an existing shard file without -Force (ShardExists, ResourceExists) and leaves it as it was' {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 3
        Add-Vector $path -Vector 1, 2, 3 -Key keep

        $err = Get-TerminatingError { New-VectorShard -Path $path -Dimension 7 }

        Assert-ShardError $err -ErrorId ShardExists -Category ResourceExists
        $err.TargetObject | Should -Be $path
        $info = Get-VectorShard $path
        $info.Dimension | Should -Be 3
        $info.Count | Should -Be 1
        (Get-Vector -Shard $path -Key keep).Vector | Should -Be @(1, 2, 3)
    }

    It 'refuses any existing file without -Force (ShardExists) and does not touch its content' {
        $path = New-TestShardPath
        Set-Content -LiteralPath $path -Value 'precious text' -NoNewline
        $before = (Get-FileHash -LiteralPath $path).Hash

        $err = Get-TerminatingError { New-VectorShard -Path $path -Dimension 3 }

        Assert-ShardError $err -ErrorId ShardExists -Category ResourceExists
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $before
        Get-Content -LiteralPath $path -Raw | Should -Be 'precious text'
    }

    It 'fails in a folder that does not exist (DirectoryNotFound, ObjectNotFound) and creates nothing' {
        $folder = Join-Path $TestDrive "missing-$(New-Guid)"
        $path = Join-Path $folder 'x.vshard'

        $err = Get-TerminatingError { New-VectorShard -Path $path -Dimension 3 }

        Assert-ShardError $err -ErrorId DirectoryNotFound -Category ObjectNotFound
        $folder | Should -Not -Exist
    }

    It 'creates a shard where an open shard''s file was deleted behind its back' -Skip:$IsWindows {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 3
        Remove-Item -Path "$path*" -Force   # Unix only: Windows refuses to delete an open file
        $path | Should -Not -Exist

        $shard = New-VectorShard -Path $path -Dimension 4

        $shard.Dimension | Should -Be 4
        $path | Should -Exist
    }

    It 'rejects dimension <Dimension> before doing anything' -ForEach @(
        @{ Dimension = 0 }, @{ Dimension = -1 }, @{ Dimension = 16385 }
    ) {
        $path = New-TestShardPath
        { New-VectorShard -Path $path -Dimension $Dimension } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        $path | Should -Not -Exist
    }

    It 'accepts the largest dimension, 16384' {
        (New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 16384).Dimension | Should -Be 16384
    }

    It 'rejects an invalid workload value (InvalidWorkload) and creates no file' -ForEach @(
        @{ Workload = 'Mixed'; Value = 101 }, @{ Workload = 'ReadHeavy'; Value = 0 }, @{ Workload = 'WriteHeavy'; Value = -5 }
    ) {
        $path = New-TestShardPath

        $err = Get-TerminatingError { New-VectorShard -Path $path -Dimension 3 -Workload $Workload -WorkloadValue $Value }

        Assert-ShardError $err -ErrorId InvalidWorkload -Category InvalidArgument
        $path | Should -Not -Exist
    }

    It 'does not accept -Profile with -InMemory' {
        { New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2 -Profile Durable } |
            Should -Throw -ErrorId 'AmbiguousParameterSet,*'
    }
}

Describe 'New-VectorShard: -WhatIf' {
    AfterAll { Remove-TestShard }

    It 'creates no file and emits nothing' {
        $path = New-TestShardPath
        $out = New-VectorShard -Path $path -Dimension 3 -WhatIf
        $out | Should -BeNullOrEmpty
        $path | Should -Not -Exist
        Get-VectorShard -ErrorAction SilentlyContinue | Where-Object Path -EQ $path | Should -BeNullOrEmpty
    }

    It 'leaves an existing shard in place with -Force -WhatIf' {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 3
        Add-Vector $path -Vector 1, 2, 3

        $null = New-VectorShard -Path $path -Dimension 9 -Force -WhatIf

        $info = Get-VectorShard $path
        $info.Dimension | Should -Be 3
        $info.Count | Should -Be 1
    }

    It 'creates no in-memory shard' {
        $name = New-TestMemoryName
        $null = New-VectorShard -InMemory -Name $name -Dimension 3 -WhatIf

        Get-VectorShard -ErrorAction SilentlyContinue | Where-Object Path -EQ "memory:$name" | Should -BeNullOrEmpty
        $null = Get-VectorShard "memory:$name" -ErrorAction SilentlyContinue -ErrorVariable errors
        Assert-ShardError $errors -ErrorId ShardNotFound -Category ObjectNotFound
    }
}
