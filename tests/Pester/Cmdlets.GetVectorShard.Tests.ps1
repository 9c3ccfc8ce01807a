BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    # A plain SQLite database: a copy of a shard file with the VectorShard mark (PRAGMA application_id,
    # bytes 68-71 of the SQLite header) zeroed. UltraFast keeps no WAL, so the file alone holds everything.
    function New-PlainSqliteFile([string] $Path) {
        $source = New-TestShardPath 'source'
        $null = New-VectorShard -Path $source -Dimension 2 -Profile UltraFast
        Add-Vector $source -Vector 1, 2
        Copy-Item -LiteralPath $source -Destination $Path
        $bytes = [IO.File]::ReadAllBytes($Path)
        [Text.Encoding]::ASCII.GetString($bytes, 0, 15) | Should -Be 'SQLite format 3'
        for ($i = 68; $i -lt 72; $i++) { $bytes[$i] = 0 }
        [IO.File]::WriteAllBytes($Path, $bytes)
    }
}

Describe 'Get-VectorShard: finding shards' {
    BeforeAll {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive "find-$(New-Guid)")).FullName
        $pathA = Join-Path $folder 'a.vshard'
        $pathB = Join-Path $folder 'b.vshard'
        $script:TestShardPaths.AddRange([string[]]@($pathA, $pathB))
        $null = New-VectorShard -Path $pathA -Dimension 3
        $null = New-VectorShard -Path $pathB -Dimension 5 -Metric L2
        Set-Content -LiteralPath (Join-Path $folder 'notes.txt') -Value 'not a shard'
    }
    AfterAll { Remove-TestShard }

    It 'describes a shard by -Path' {
        $info = Get-VectorShard -Path $pathA
        $info | Should -BeOfType [VectorShard.ShardInfo]
        $info.Path | Should -Be $pathA
        $info.Dimension | Should -Be 3
    }

    It 'takes the path by position' {
        (Get-VectorShard $pathB).Dimension | Should -Be 5
    }

    It 'takes several paths, in order' {
        $infos = Get-VectorShard $pathB, $pathA
        $infos.Path | Should -Be @($pathB, $pathA)
    }

    It 'expands wildcards' {
        $infos = Get-VectorShard (Join-Path $folder '*.vshard')
        @($infos).Count | Should -Be 2
        $infos.Path | Sort-Object | Should -Be @($pathA, $pathB)
    }

    It 'takes FileInfo objects from Get-ChildItem (by FullName)' {
        $infos = Get-ChildItem -Path $folder -Filter *.vshard | Get-VectorShard
        @($infos).Count | Should -Be 2
        $infos.Path | Sort-Object | Should -Be @($pathA, $pathB)
    }

    It 'takes a shard object from the pipeline and reads it afresh' {
        $shard = Get-VectorShard $pathA
        $before = $shard.Count
        Add-Vector $pathA -Vector 1, 2, 3

        $fresh = $shard | Get-VectorShard

        $fresh.Path | Should -Be $pathA
        $fresh.Count | Should -Be ($before + 1)
        $shard.Count | Should -Be $before -Because 'a ShardInfo is a snapshot'
    }

    It 'takes path strings from the pipeline' {
        ($pathA, $pathB | Get-VectorShard).Dimension | Should -Be @(3, 5)
    }

    It 'resolves a relative path against the PowerShell location' {
        Push-Location $folder
        try { $info = Get-VectorShard 'b.vshard' }
        finally { Pop-Location }
        $info.Path | Should -Be $pathB
    }

    It 'reports a file the wildcard matches that is not a shard, and still describes the shards' {
        # '*[dt]' matches a.vshard, b.vshard and notes.txt, not the -wal and -shm files.
        $infos = Get-VectorShard (Join-Path $folder '*[dt]') -ErrorVariable errors -ErrorAction SilentlyContinue
        $infos.Path | Sort-Object | Should -Be @($pathA, $pathB)
        Assert-ShardError $errors -ErrorId NotAShard -Category InvalidData
    }

    It 'lists the shards open in this session when given no path' {
        $memory = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2
        $null = Get-VectorShard $pathA, $pathB

        # Other test files' shards may be listed (or reported, if their files are gone): only ours are checked.
        $open = Get-VectorShard -ErrorAction SilentlyContinue

        $open | Should -Not -BeNullOrEmpty
        $open | ForEach-Object { $_ | Should -BeOfType [VectorShard.ShardInfo] }
        $open.Path | Should -Contain $pathA
        $open.Path | Should -Contain $pathB
        $open.Path | Should -Contain $memory.Path
    }

    It 'does not list a shard after Remove-VectorShard' {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 2
        (Get-VectorShard -ErrorAction SilentlyContinue).Path | Should -Contain $path

        Remove-VectorShard $path -Confirm:$false

        (Get-VectorShard -ErrorAction SilentlyContinue).Path | Should -Not -Contain $path
    }

    It 'lists open shards without an error for one whose file was deleted' -Skip:$IsWindows {
        $path = New-TestShardPath
        $null = New-VectorShard -Path $path -Dimension 2
        Remove-Item -Path "$path*" -Force   # Unix only: Windows refuses to delete an open file

        $open = Get-VectorShard -ErrorVariable errors -ErrorAction SilentlyContinue

        $open.Path | Should -Not -Contain $path
        @($errors | Where-Object { "$($_.TargetObject)" -eq $path }) | Should -HaveCount 0
    }

    It 'describes a shard whose file name contains brackets, by path and piped from Get-ChildItem' {
        $path = Join-Path $folder 'with[1]brackets.vshard'
        $script:TestShardPaths.Add($path)
        $null = New-VectorShard -Path $path -Dimension 2
        Test-Path -LiteralPath $path | Should -BeTrue

        (Get-VectorShard $path -ErrorAction Stop).Path | Should -Be $path
        (Get-Item -LiteralPath $path | Get-VectorShard -ErrorAction Stop).Path | Should -Be $path
    }
}

Describe 'Get-VectorShard: what it reports' {
    AfterAll { Remove-TestShard }

    It 'shows count and version after vectors are added and removed' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -Vector 1, 2 -Key a
        Add-Vector $shard -Vector 3, 4 -Key b
        Add-Vector $shard -Vector 5, 6 -Key c

        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 3
        $info.Version | Should -Be 3

        Remove-Vector $shard -Key a
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 2
        $info.Version | Should -Be 4
    }

    It 'shows the effective pragmas of a Balanced shard' {
        $shard = New-TestShard -Dimension 2
        $pragmas = (Get-VectorShard $shard.Path).Pragmas

        $pragmas | Should -BeOfType [VectorShard.PragmaSettings]
        $pragmas.JournalMode | Should -Be 'wal'
        $pragmas.Synchronous | Should -Be 'NORMAL'
        $pragmas.LockingMode | Should -Be 'NORMAL'
        $pragmas.CacheSizeKiB | Should -Be 16384
        $pragmas.PageSize | Should -Be 4096
        $pragmas.MmapSize | Should -Be 268435456
        $pragmas.WalAutoCheckpoint | Should -Be 1000
        $pragmas.TempStore | Should -Be 'DEFAULT'
        $pragmas.SecureDelete | Should -BeFalse
    }

    It 'shows the format version, a size that grows, and that it is not a bare reference' {
        $shard = New-TestShard -Dimension 64 -Metric L2
        $info = Get-VectorShard $shard.Path
        $info.FormatVersion | Should -Be 2
        $info.IsReference | Should -BeFalse
        $info.IsInMemory | Should -BeFalse
        $before = $info.SizeBytes
        $before | Should -BeGreaterThan 0

        $random = New-TestRandom 7
        1..200 | ForEach-Object { , (New-TestVector -Dimension 64 -Random $random) } | Add-Vector $shard

        (Get-VectorShard $shard.Path).SizeBytes | Should -BeGreaterThan $before
    }

    It 'describes an in-memory shard by its memory: path' {
        $shard = New-TestShard -InMemory -Dimension 2 -Metric Dot
        Add-Vector $shard -Vector 1, 1

        $info = Get-VectorShard $shard.Path
        $info.Path | Should -Be $shard.Path
        $info.IsInMemory | Should -BeTrue
        $info.Count | Should -Be 1
        $info.Profile | Should -Be 'UltraFast'
        $info.SizeBytes | Should -Be 0
    }
}

Describe 'Get-VectorShard: errors' {
    AfterAll { Remove-TestShard }

    It 'reports a missing file as ShardNotFound (ObjectNotFound), non-terminating, and goes on' {
        $good = (New-TestShard -Dimension 2).Path
        $missing = Join-Path $TestDrive 'missing.vshard'

        $infos = Get-VectorShard $missing, $good -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId ShardNotFound -Category ObjectNotFound
        $errors[0].TargetObject | Should -Be $missing
        $infos.Path | Should -Be $good
        $missing | Should -Not -Exist
    }

    It 'reports a missing in-memory shard as ShardNotFound' {
        $null = Get-VectorShard "memory:$(New-TestMemoryName)" -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-ShardError $errors -ErrorId ShardNotFound -Category ObjectNotFound
    }

    It 'reports a text file as NotAShard (InvalidData) and leaves it unchanged' {
        $path = Join-Path $TestDrive 'text.vshard'
        Set-Content -LiteralPath $path -Value ('hello, this is not a database' * 40) -NoNewline
        $before = (Get-FileHash -LiteralPath $path).Hash

        $info = Get-VectorShard $path -ErrorVariable errors -ErrorAction SilentlyContinue

        $info | Should -BeNullOrEmpty
        Assert-ShardError $errors -ErrorId NotAShard -Category InvalidData
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $before
    }

    It 'reports a plain SQLite database (no VectorShard mark) as NotAShard (InvalidData)' {
        $path = Join-Path $TestDrive 'plain.db'
        New-PlainSqliteFile $path

        $info = Get-VectorShard $path -ErrorVariable errors -ErrorAction SilentlyContinue

        $info | Should -BeNullOrEmpty
        Assert-ShardError $errors -ErrorId NotAShard -Category InvalidData
        $errors[0].Exception.Message | Should -BeLike '*mark*'
    }

    It 'reports an empty file as NotAShard (InvalidData)' {
        $path = Join-Path $TestDrive 'empty.vshard'
        $null = New-Item -ItemType File -Path $path

        $null = Get-VectorShard $path -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId NotAShard -Category InvalidData
        (Get-Item -LiteralPath $path).Length | Should -Be 0
    }

    It 'stops with -ErrorAction Stop' {
        $err = Get-TerminatingError { Get-VectorShard (Join-Path $TestDrive 'nope.vshard') -ErrorAction Stop }
        Assert-ShardError $err -ErrorId ShardNotFound -Category ObjectNotFound
    }
}
