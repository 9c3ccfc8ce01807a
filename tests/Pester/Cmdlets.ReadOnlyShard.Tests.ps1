BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    # A Balanced shard with three vectors, closed (Remove-Module closes every open shard), then marked
    # read-only: Set-ItemProperty IsReadOnly clears the write bits on Unix (like chmod 444), which the
    # module reads as the read-only attribute. (Tests run as root, who could still write it.)
    $script:Path = New-TestShardPath 'readonly'
    $null = New-VectorShard -Path $Path -Dimension 3 -Metric L2
    [pscustomobject]@{ Key = 'x'; Vector = @(1, 0, 0) },
    [pscustomobject]@{ Key = 'y'; Vector = @(0, 1, 0) },
    [pscustomobject]@{ Key = 'z'; Vector = @(0, 0, 1) } | Add-Vector $Path
    Remove-Module VectorShard
    Import-Module $script:VectorShardModulePath -Global -ErrorAction Stop
    Set-ItemProperty -LiteralPath $Path -Name IsReadOnly -Value $true
    $script:Hash = (Get-FileHash -LiteralPath $Path).Hash
}
AfterAll {
    Set-ItemProperty -LiteralPath $Path -Name IsReadOnly -Value $false -ErrorAction Ignore
    Remove-TestShard
}

Describe 'A read-only shard file' {
    It 'is read-only as the module sees it' {
        (Get-Item -LiteralPath $Path).IsReadOnly | Should -BeTrue
        if (-not $IsWindows) { (Get-Item -LiteralPath $Path).UnixMode | Should -Not -Match 'w' }
    }

    It 'is described by Get-VectorShard' {
        $info = Get-VectorShard $Path
        $info.Count | Should -Be 3
        $info.Version | Should -Be 3
        $info.Profile | Should -Be 'Balanced'
        $info.Indexes | Should -Be @('idx_vectors_confidence', 'idx_vectors_created_norm', 'idx_vectors_norm')
    }

    It 'answers Search-Vector' {
        $results = Search-Vector $Path -Query 0, 0.9, 0.1 -K 2
        $results.Key | Should -Be @('y', 'z')
        $results[0].Distance | Should -BeLessThan $results[1].Distance
    }

    It 'answers Get-Vector' {
        (Get-Vector -Shard $Path -Key z).Vector | Should -Be @(0, 0, 1)
        @(Get-Vector -Shard $Path).Count | Should -Be 3
    }

    It 'refuses Add-Vector (ShardReadOnly, PermissionDenied) and writes nothing' {
        $err = Get-TerminatingError { Add-Vector $Path -Vector 1, 1, 1 -Key new }

        Assert-ShardError $err -ErrorId ShardReadOnly -Category PermissionDenied
        $info = Get-VectorShard $Path
        $info.Count | Should -Be 3
        $info.Version | Should -Be 3
    }

    It 'refuses Add-Vector -Force on an existing key (ShardReadOnly)' {
        $err = Get-TerminatingError { Add-Vector $Path -Vector 1, 1, 1 -Key x -Force }
        Assert-ShardError $err -ErrorId ShardReadOnly -Category PermissionDenied
        (Get-Vector -Shard $Path -Key x).Vector | Should -Be @(1, 0, 0)
    }

    It 'refuses Remove-Vector (ShardReadOnly, PermissionDenied) and keeps the vector' {
        $err = Get-TerminatingError { Remove-Vector $Path -Key x }
        Assert-ShardError $err -ErrorId ShardReadOnly -Category PermissionDenied
        (Get-VectorShard $Path).Count | Should -Be 3
    }

    It 'refuses Set-ShardProfile (ShardReadOnly, PermissionDenied) and keeps its profile' {
        $err = Get-TerminatingError { Set-ShardProfile $Path -Profile Durable }
        Assert-ShardError $err -ErrorId ShardReadOnly -Category PermissionDenied
        (Get-VectorShard $Path).Profile | Should -Be 'Balanced'
    }

    It 'has not been modified by any of this' {
        (Get-FileHash -LiteralPath $Path).Hash | Should -Be $Hash
        (Get-Item -LiteralPath $Path).IsReadOnly | Should -BeTrue
    }
}
