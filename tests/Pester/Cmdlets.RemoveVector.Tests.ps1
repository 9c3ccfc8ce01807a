BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    # A fresh L2 shard with keys a..f at (1,0), (2,0), ... (6,0).
    function New-LetterShard([switch] $InMemory) {
        $shard = New-TestShard -Dimension 2 -Metric L2 -InMemory:$InMemory
        $letters = 'a', 'b', 'c', 'd', 'e', 'f'
        $rows = for ($i = 0; $i -lt 6; $i++) { [pscustomobject]@{ Key = $letters[$i]; Vector = @(($i + 1), 0) } }
        $rows | Add-Vector $shard
        $shard
    }
}
AfterAll { Remove-TestShard }

Describe 'Remove-Vector: by key and id' {
    It 'removes one vector by -Key and advances the version by one' {
        $shard = New-LetterShard

        $out = Remove-Vector -Shard $shard -Key c

        $out | Should -BeNullOrEmpty
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 5
        $info.Version | Should -Be 7
        (Get-Vector -Shard $shard).Key | Should -Be @('a', 'b', 'd', 'e', 'f')
        $null = Get-Vector -Shard $shard -Key c -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-ShardError $errors -ErrorId VectorNotFound
    }

    It 'removes several keys in one go; the version advances by the number removed' {
        $shard = New-LetterShard
        Remove-Vector $shard a, f, d
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 3
        $info.Version | Should -Be 9
        (Get-Vector -Shard $shard).Key | Should -Be @('b', 'c', 'e')
    }

    It 'takes keys from the pipeline' {
        $shard = New-LetterShard
        'b', 'e' | Remove-Vector $shard
        (Get-Vector -Shard $shard).Key | Should -Be @('a', 'c', 'd', 'f')
        (Get-VectorShard $shard.Path).Version | Should -Be 8
    }

    It 'removes a key given twice once' {
        $shard = New-LetterShard
        Remove-Vector $shard -Key a, a
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 5
        $info.Version | Should -Be 7
    }

    It 'removes by -Id' {
        $shard = New-LetterShard
        $ids = (Get-Vector -Shard $shard -Key b, c).Id

        Remove-Vector -Shard $shard -Id $ids

        (Get-Vector -Shard $shard).Key | Should -Be @('a', 'd', 'e', 'f')
        (Get-VectorShard $shard.Path).Version | Should -Be 8
    }

    It 'takes the shard as a path string' {
        $shard = New-LetterShard
        Remove-Vector $shard.Path -Key a
        (Get-VectorShard $shard.Path).Count | Should -Be 5
    }

    It 'lets a removed key be added again' {
        $shard = New-LetterShard
        $oldId = (Get-Vector -Shard $shard -Key a).Id
        Remove-Vector $shard -Key a

        $record = Add-Vector $shard -Vector 9, 9 -Key a -PassThru

        $record.Id | Should -Not -Be $oldId
        (Get-Vector -Shard $shard -Key a).Vector | Should -Be @(9, 9)
    }

    It 'removes what Search-Vector no longer finds' {
        $shard = New-LetterShard
        (Search-Vector $shard -Query 0, 0 -K 1).Key | Should -Be 'a'
        Remove-Vector $shard -Key a
        (Search-Vector $shard -Query 0, 0 -K 1).Key | Should -Be 'b'
    }
}

Describe 'Remove-Vector: records from the pipeline' {
    It 'removes records piped from Get-Vector (binds Id and ShardPath)' {
        $shard = New-LetterShard

        Get-Vector -Shard $shard -Key b, d | Remove-Vector

        (Get-Vector -Shard $shard).Key | Should -Be @('a', 'c', 'e', 'f')
        (Get-VectorShard $shard.Path).Version | Should -Be 8
    }

    It 'removes every vector piped from Get-Vector' {
        $shard = New-LetterShard
        Get-Vector -Shard $shard | Remove-Vector
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 0
        $info.Version | Should -Be 12
    }

    It 'removes the results piped from Search-Vector' {
        $shard = New-LetterShard

        Search-Vector $shard -Query 0, 0 -K 2 | Remove-Vector

        (Get-Vector -Shard $shard).Key | Should -Be @('c', 'd', 'e', 'f')
    }

    It 'removes filtered records of an in-memory shard' {
        $shard = New-LetterShard -InMemory
        Get-Vector -Shard $shard | Where-Object { $_.Vector[0] -gt 4 } | Remove-Vector
        (Get-Vector -Shard $shard).Key | Should -Be @('a', 'b', 'c', 'd')
    }

    It 'removes records of two shards piped together, each from its own shard' {
        $one = New-LetterShard
        $two = New-LetterShard

        @(Get-Vector -Shard $one -Key a, b) + @(Get-Vector -Shard $two -Key f) | Remove-Vector

        (Get-Vector -Shard $one).Key | Should -Be @('c', 'd', 'e', 'f')
        (Get-Vector -Shard $two).Key | Should -Be @('a', 'b', 'c', 'd', 'e')
    }
}

Describe 'Remove-Vector: -WhatIf and errors' {
    It 'removes nothing with -WhatIf' {
        $shard = New-LetterShard
        Remove-Vector $shard -Key a, b -WhatIf
        Get-Vector -Shard $shard | Remove-Vector -WhatIf
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 6
        $info.Version | Should -Be 6
    }

    It 'reports a missing key as a non-terminating VectorNotFound (ObjectNotFound) and removes the others' {
        $shard = New-LetterShard

        Remove-Vector $shard -Key a, nope, c -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId VectorNotFound -Category ObjectNotFound
        $errors[0].TargetObject | Should -Be 'nope'
        (Get-Vector -Shard $shard).Key | Should -Be @('b', 'd', 'e', 'f')
        (Get-VectorShard $shard.Path).Version | Should -Be 8
    }

    It 'leaves count and version alone when only missing keys are given' {
        $shard = New-LetterShard
        Remove-Vector $shard -Key zz -ErrorAction SilentlyContinue -ErrorVariable errors
        Assert-ShardError $errors -ErrorId VectorNotFound
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 6
        $info.Version | Should -Be 6
    }

    It 'reports an id that does not exist (VectorNotFound) and leaves count and version alone' {
        $shard = New-LetterShard
        Remove-Vector $shard -Id 424242 -ErrorAction SilentlyContinue -ErrorVariable errors
        Assert-ShardError $errors -ErrorId VectorNotFound
        $errors[0].TargetObject | Should -Be '424242'
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 6
        $info.Version | Should -Be 6
    }

    It 'stops when neither keys nor ids are given (KeyOrIdRequired)' {
        $shard = New-LetterShard
        $err = Get-TerminatingError { Remove-Vector $shard }
        Assert-ShardError $err -ErrorId KeyOrIdRequired -Category InvalidArgument
        (Get-VectorShard $shard.Path).Count | Should -Be 6
    }

    It 'stops when the shard does not exist (ShardNotFound)' {
        $err = Get-TerminatingError { Remove-Vector (Join-Path $TestDrive 'missing.vshard') -Key a }
        Assert-ShardError $err -ErrorId ShardNotFound -Category ObjectNotFound
    }
}
