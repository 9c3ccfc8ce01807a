BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    $random = New-TestRandom 11
    $script:Shard = New-TestShard -Dimension 6 -Metric Cosine
    $script:Rows = @(New-TestRow -Count 8 -Dimension 6 -Random $random)
    $script:Added = @($Rows | Add-Vector $Shard -PassThru)
}
AfterAll { Remove-TestShard }

Describe 'Get-Vector: by key, by id, all' {
    It 'gets one vector by -Key' {
        $record = Get-Vector -Shard $Shard -Key k3

        $record | Should -BeOfType [VectorShard.VectorRecord]
        @($record).Count | Should -Be 1
        $record.Key | Should -Be 'k3'
        $record.Id | Should -Be $Added[3].Id
        $record.Vector | Should -Be $Rows[3].Vector
        $record.ShardPath | Should -Be $Shard.Path
        $record.Version | Should -Be 4
    }

    It 'gets several keys, in the order given' {
        (Get-Vector -Shard $Shard -Key k5, k0, k7).Key | Should -Be @('k5', 'k0', 'k7')
    }

    It 'takes the shard and keys by position' {
        (Get-Vector $Shard k1, k2).Key | Should -Be @('k1', 'k2')
    }

    It 'takes keys from the pipeline' {
        ('k6', 'k4' | Get-Vector -Shard $Shard).Key | Should -Be @('k6', 'k4')
    }

    It 'gets vectors by -Id' {
        $records = Get-Vector -Shard $Shard -Id $Added[2].Id, $Added[6].Id
        $records.Key | Should -Be @('k2', 'k6')
        $records.Id | Should -Be @($Added[2].Id, $Added[6].Id)
    }

    It 'gets every vector, by id, without -Key or -Id' {
        $all = Get-Vector -Shard $Shard
        @($all).Count | Should -Be 8
        $all.Key | Should -Be $Rows.Key
        $all.Id | Should -Be ($Added.Id | Sort-Object)
    }

    It 'gets all of more than one page (1000) of vectors' {
        $big = New-TestShard -Dimension 2 -Metric L2
        $vectors = foreach ($i in 1..1500) { , [float[]]($i, 0) }
        $vectors | Add-Vector $big -BatchSize 1500

        $all = Get-Vector -Shard $big

        @($all).Count | Should -Be 1500
        ($all.Id | Sort-Object -Unique).Count | Should -Be 1500
        $all[0].Vector | Should -Be @(1, 0)
        $all[1499].Vector | Should -Be @(1500, 0)
        for ($i = 1; $i -lt 1500; $i++) { if ($all[$i].Id -le $all[$i - 1].Id) { throw "ids out of order at $i" } }
    }

    It 'returns nothing from an empty shard' {
        Get-Vector -Shard (New-TestShard -Dimension 2) | Should -BeNullOrEmpty
    }

    It 'takes the shard as a path string and from an in-memory shard' {
        (Get-Vector -Shard $Shard.Path -Key k1).Key | Should -Be 'k1'
        $memory = New-TestShard -InMemory -Dimension 2
        Add-Vector $memory -Vector 1, 2 -Key m
        (Get-Vector -Shard $memory.Path -Key m).Vector | Should -Be @(1, 2)
    }

    It 'takes records from Search-Vector and Get-Vector on the pipeline (Id and ShardPath)' {
        $found = Search-Vector $Shard -Query $Rows[5].Vector -K 2 | Get-Vector -ErrorAction Stop
        $found[0].Key | Should -Be 'k5'
        $found[0].Vector | Should -Be $Rows[5].Vector
        @($found).Count | Should -Be 2

        (Get-Vector $Shard -Key k2 | Get-Vector -ErrorAction Stop).Id | Should -Be $Added[2].Id
    }
}

Describe 'Get-Vector: missing keys and ids' {
    It 'reports a missing key as a non-terminating VectorNotFound (ObjectNotFound) and still emits the others' {
        $found = Get-Vector -Shard $Shard -Key k1, nope, k2 -ErrorVariable errors -ErrorAction SilentlyContinue

        $found.Key | Should -Be @('k1', 'k2')
        Assert-ShardError $errors -ErrorId VectorNotFound -Category ObjectNotFound
        $errors[0].TargetObject | Should -Be 'nope'
    }

    It 'reports each missing key once' {
        $null = Get-Vector -Shard $Shard -Key gone1, k1, gone2 -ErrorVariable errors -ErrorAction SilentlyContinue
        @($errors).Count | Should -Be 2
        $errors.TargetObject | Should -Be @('gone1', 'gone2')
    }

    It 'reports a missing id as VectorNotFound' {
        $found = Get-Vector -Shard $Shard -Id $Added[0].Id, 987654 -ErrorVariable errors -ErrorAction SilentlyContinue
        $found.Key | Should -Be 'k0'
        Assert-ShardError $errors -ErrorId VectorNotFound -Category ObjectNotFound
        $errors[0].TargetObject | Should -Be '987654'
    }

    It 'stops on a missing key with -ErrorAction Stop' {
        $err = Get-TerminatingError { Get-Vector -Shard $Shard -Key nope -ErrorAction Stop }
        Assert-ShardError $err -ErrorId VectorNotFound -Category ObjectNotFound
    }

    It 'matches keys exactly (case-sensitive)' {
        $found = Get-Vector -Shard $Shard -Key K1 -ErrorVariable errors -ErrorAction SilentlyContinue
        $found | Should -BeNullOrEmpty
        Assert-ShardError $errors -ErrorId VectorNotFound
    }

    It 'stops when the shard does not exist (ShardNotFound)' {
        $err = Get-TerminatingError { Get-Vector -Shard (Join-Path $TestDrive 'absent.vshard') -Key a }
        Assert-ShardError $err -ErrorId ShardNotFound -Category ObjectNotFound
    }
}

Describe 'Get-Vector: round trip' {
    It 'returns the exact float32 values stored (384 dimensions)' {
        $shard = New-TestShard -Dimension 384 -Metric L2
        $vector = New-TestVector -Dimension 384 -Random (New-TestRandom 99)
        $vector[0] = [float]::Epsilon
        $vector[1] = [float]1e17
        $vector[2] = -0.0
        Add-Vector $shard -Vector $vector -Key exact

        $stored = (Get-Vector -Shard $shard -Key exact).Vector

        $stored.GetType() | Should -Be ([float[]])
        $stored.Length | Should -Be 384
        # Bit patterns, so that -0.0 and the smallest subnormal count too; one comparison for speed.
        $bits = { param($v) ($v | ForEach-Object { [BitConverter]::SingleToInt32Bits($_) }) -join ',' }
        & $bits $stored | Should -BeExactly (& $bits $vector)
    }

    It 'stores the Euclidean norm' {
        $shard = New-TestShard -Dimension 3 -Metric L2
        Add-Vector $shard -Vector 2, 3, 6 -Key n
        (Get-Vector -Shard $shard -Key n).Norm | Should -Be 7
    }

    It 'returns metadata with its types: <Name>' -ForEach @(
        @{ Name = 'string'; Value = 'héllo wörld ✓'; Expected = 'héllo wörld ✓'; Type = [string] }
        @{ Name = 'int as long'; Value = 42; Expected = 42; Type = [long] }
        @{ Name = 'long'; Value = 9007199254740993; Expected = 9007199254740993; Type = [long] }
        @{ Name = 'negative'; Value = -17; Expected = -17; Type = [long] }
        @{ Name = 'double'; Value = 2.5; Expected = 2.5; Type = [double] }
        @{ Name = 'decimal'; Value = [decimal]0.125; Expected = 0.125; Type = [double] }
        @{ Name = 'true'; Value = $true; Expected = $true; Type = [bool] }
        @{ Name = 'false'; Value = $false; Expected = $false; Type = [bool] }
        @{ Name = 'guid as text'; Value = [guid]'d1c8e2a0-0000-4000-8000-000000000001'; Expected = 'd1c8e2a0-0000-4000-8000-000000000001'; Type = [string] }
        @{ Name = 'enum as text'; Value = [DayOfWeek]::Friday; Expected = 'Friday'; Type = [string] }
    ) {
        $shard = New-TestShard -Dimension 2
        Add-Vector $shard -Vector 1, 1 -Key m -Metadata @{ value = $Value }

        $stored = (Get-Vector -Shard $shard -Key m).Metadata.value

        $stored | Should -BeOfType $Type
        $stored | Should -Be $Expected
    }

    It 'returns null, nested and list metadata' {
        $shard = New-TestShard -Dimension 2
        $metadata = @{
            nothing = $null
            nested  = @{ inner = @{ depth = 3; name = 'deep' }; flag = $true }
            list    = @(1, 'two', 3.5, $false)
            empty   = @{}
        }
        Add-Vector $shard -Vector 1, 1 -Key m -Metadata $metadata

        $stored = (Get-Vector -Shard $shard -Key m).Metadata

        $stored.Keys | Sort-Object | Should -Be @('empty', 'list', 'nested', 'nothing')
        $stored.ContainsKey('nothing') | Should -BeTrue
        $stored['nothing'] | Should -BeNullOrEmpty
        $stored.nested.inner.depth | Should -Be 3
        $stored.nested.inner.depth | Should -BeOfType [long]
        $stored.nested.inner.name | Should -Be 'deep'
        $stored.nested.flag | Should -BeTrue
        $stored.list | Should -Be @(1, 'two', 3.5, $false)
        $stored.list[0] | Should -BeOfType [long]
        $stored.list[2] | Should -BeOfType [double]
        $stored.empty.Count | Should -Be 0
    }

    It 'stores a date as ISO 8601 text' {
        $shard = New-TestShard -Dimension 2
        $date = [DateTimeOffset]::new(2024, 1, 2, 3, 4, 5, [TimeSpan]::FromHours(2))
        Add-Vector $shard -Vector 1, 1 -Key d -Metadata @{ when = $date }

        $stored = (Get-Vector -Shard $shard -Key d).Metadata.when

        $stored | Should -BeOfType [string]
        [DateTimeOffset]::Parse($stored, [cultureinfo]::InvariantCulture) | Should -Be $date
    }

    It 'looks metadata names up case-insensitively' {
        $shard = New-TestShard -Dimension 2
        Add-Vector $shard -Vector 1, 1 -Key c -Metadata @{ Topic = 'x' }
        $metadata = (Get-Vector -Shard $shard -Key c).Metadata
        $metadata['topic'] | Should -Be 'x'
        $metadata['TOPIC'] | Should -Be 'x'
    }

    It 'records when each vector was written, to the microsecond, in UTC' {
        $before = [DateTimeOffset]::UtcNow.AddSeconds(-1)
        $shard = New-TestShard -Dimension 2
        Add-Vector $shard -Vector 1, 1 -Key t
        $after = [DateTimeOffset]::UtcNow.AddSeconds(1)

        $created = (Get-Vector -Shard $shard -Key t).CreatedAt

        $created | Should -BeOfType [DateTimeOffset]
        $created.Offset | Should -Be ([TimeSpan]::Zero)
        $created | Should -BeGreaterThan $before
        $created | Should -BeLessThan $after
        $created.Ticks % 10 | Should -Be 0
    }
}
