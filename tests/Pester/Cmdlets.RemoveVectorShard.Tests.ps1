BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    function New-FilledShard([string] $ShardProfile = 'Balanced') {
        $shard = New-TestShard -Dimension 2 -Metric L2 -ShardProfile $ShardProfile
        1..3 | ForEach-Object { Add-Vector $shard -Vector $_, 1 -Key "v$_" }
        $shard
    }

    function Get-ShardFile([string] $Path) {
        @('', '-wal', '-shm', '-journal') | ForEach-Object { "$Path$_" } | Where-Object { Test-Path -LiteralPath $_ }
    }
}
AfterAll { Remove-TestShard }

Describe 'Remove-VectorShard' {
    It 'deletes the shard file with its -wal and -shm files' {
        $shard = New-FilledShard
        "$($shard.Path)-wal" | Should -Exist
        "$($shard.Path)-shm" | Should -Exist

        $out = Remove-VectorShard -Shard $shard -Confirm:$false

        $out | Should -BeNullOrEmpty
        Get-ShardFile $shard.Path | Should -BeNullOrEmpty
    }

    It 'deletes a <ShardProfile> shard' -ForEach @(@{ ShardProfile = 'UltraFast' }, @{ ShardProfile = 'Durable' }, @{ ShardProfile = 'Exclusive' }) {
        $shard = New-FilledShard $ShardProfile
        Remove-VectorShard $shard -Confirm:$false
        Get-ShardFile $shard.Path | Should -BeNullOrEmpty
    }

    It 'takes a path string by position, and a relative path' {
        $one = New-FilledShard
        $two = New-FilledShard
        Remove-VectorShard $one.Path -Confirm:$false
        Push-Location (Split-Path $two.Path)
        try { Remove-VectorShard (Split-Path $two.Path -Leaf) -Confirm:$false }
        finally { Pop-Location }
        Get-ShardFile $one.Path | Should -BeNullOrEmpty
        Get-ShardFile $two.Path | Should -BeNullOrEmpty
    }

    It 'takes shard objects from the pipeline' {
        $one = New-FilledShard
        $two = New-FilledShard
        $one, $two | Remove-VectorShard -Confirm:$false
        Get-ShardFile $one.Path | Should -BeNullOrEmpty
        Get-ShardFile $two.Path | Should -BeNullOrEmpty
    }

    It 'takes FileInfo objects from Get-ChildItem (by FullName)' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive "gci-$(New-Guid)")
        $paths = 'x.vshard', 'y.vshard' | ForEach-Object { Join-Path $folder.FullName $_ }
        $script:TestShardPaths.AddRange([string[]]$paths)
        $paths | ForEach-Object { $null = New-VectorShard -Path $_ -Dimension 2 }

        Get-ChildItem -Path $folder.FullName -Filter *.vshard | Remove-VectorShard -Confirm:$false

        Get-ChildItem -Path $folder.FullName | Should -BeNullOrEmpty
    }

    It 'forgets the shard: it is no longer listed, and a new shard can be made at its path without -Force' {
        $shard = New-FilledShard
        Remove-VectorShard $shard -Confirm:$false

        (Get-VectorShard -ErrorAction SilentlyContinue).Path | Should -Not -Contain $shard.Path
        $null = Get-VectorShard $shard.Path -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-ShardError $errors -ErrorId ShardNotFound -Category ObjectNotFound

        $new = New-VectorShard -Path $shard.Path -Dimension 5
        $new.Count | Should -Be 0
        $new.Dimension | Should -Be 5
    }

    It 'drops an in-memory shard' {
        $shard = New-TestShard -InMemory -Dimension 2
        Add-Vector $shard -Vector 1, 2

        Remove-VectorShard $shard -Confirm:$false

        $null = Get-VectorShard $shard.Path -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-ShardError $errors -ErrorId ShardNotFound -Category ObjectNotFound
        $again = New-VectorShard -InMemory -Name $shard.Path.Substring('memory:'.Length) -Dimension 2
        $again.Count | Should -Be 0
    }

    It 'keeps the shard and its vectors with -WhatIf' {
        $shard = New-FilledShard
        Remove-VectorShard $shard -WhatIf
        $shard.Path | Should -Exist
        (Get-VectorShard $shard.Path).Count | Should -Be 3
        (Search-Vector $shard -Query 1, 1 -K 1).Key | Should -Be 'v1'
    }

    It 'refuses to delete a file that is not a shard (NotAShard, InvalidData) and leaves it in place' {
        $path = Join-Path $TestDrive 'important.txt'
        Set-Content -LiteralPath $path -Value ('my notes ' * 100)
        $hash = (Get-FileHash -LiteralPath $path).Hash

        Remove-VectorShard $path -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId NotAShard -Category InvalidData
        $path | Should -Exist
        (Get-FileHash -LiteralPath $path).Hash | Should -Be $hash
    }

    It 'refuses to delete an empty file (NotAShard) and leaves it in place' {
        $path = Join-Path $TestDrive 'empty.db'
        $null = New-Item -ItemType File -Path $path
        Remove-VectorShard $path -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-ShardError $errors -ErrorId NotAShard -Category InvalidData
        $path | Should -Exist
    }

    It 'reports a missing shard as ShardNotFound (ObjectNotFound), non-terminating, and goes on with the next' {
        $shard = New-FilledShard
        $missing = Join-Path $TestDrive 'never.vshard'

        $missing, $shard.Path | Remove-VectorShard -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId ShardNotFound -Category ObjectNotFound
        Get-ShardFile $shard.Path | Should -BeNullOrEmpty
    }
}
