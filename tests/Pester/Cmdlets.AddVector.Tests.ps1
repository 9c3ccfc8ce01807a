BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    # Count and version of a shard, to show that a failed command wrote nothing.
    function Get-ShardState($Shard) {
        $info = Get-VectorShard $Shard.Path -ErrorAction Stop
        [pscustomobject]@{ Count = $info.Count; Version = $info.Version }
    }

    function Assert-Unchanged($Shard, $Before) {
        $after = Get-ShardState $Shard
        $after.Count | Should -Be $Before.Count -Because 'a failed batch writes nothing'
        $after.Version | Should -Be $Before.Version -Because 'a failed batch does not advance the version'
    }
}

Describe 'Add-Vector: input forms' {
    BeforeAll { $random = New-TestRandom 1 }
    AfterAll { Remove-TestShard }

    It 'stores a float[] given with -Vector, -Key and -Metadata' {
        $shard = New-TestShard -Dimension 4
        $vector = New-TestVector -Dimension 4 -Random $random

        $out = Add-Vector -Shard $shard -Vector $vector -Key 'doc-1' -Metadata @{ topic = 'sql'; pages = 12 }

        $out | Should -BeNullOrEmpty -Because 'only -PassThru emits records'
        $record = Get-Vector -Shard $shard -Key 'doc-1'
        $record.Key | Should -Be 'doc-1'
        $record.Vector | Should -Be $vector
        $record.Metadata.topic | Should -Be 'sql'
        $record.Metadata.pages | Should -Be 12
        (Get-VectorShard $shard.Path).Count | Should -Be 1
    }

    It 'stores a vector without key or metadata' {
        $shard = New-TestShard -Dimension 3 -Metric L2

        Add-Vector $shard 1, 2, 3

        $record = Get-Vector -Shard $shard
        $record.Key | Should -BeNullOrEmpty
        $record.Metadata | Should -BeNullOrEmpty
        $record.Id | Should -BeGreaterThan 0
        $record.Vector | Should -Be @(1, 2, 3)
    }

    It 'reads Key, Vector and Metadata from piped objects (hashtable metadata)' {
        $shard = New-TestShard -Dimension 4
        $rows = New-TestRow -Count 10 -Dimension 4 -Random $random

        $rows | Add-Vector $shard

        $stored = Get-Vector -Shard $shard
        @($stored).Count | Should -Be 10
        $stored.Key | Should -Be $rows.Key
        for ($i = 0; $i -lt 10; $i++) {
            $stored[$i].Vector | Should -Be $rows[$i].Vector
            $stored[$i].Metadata.topic | Should -Be $rows[$i].Metadata.topic
            $stored[$i].Metadata.n | Should -Be $i
            $stored[$i].Metadata.even | Should -Be ($i % 2 -eq 0)
        }
    }

    It 'takes PSCustomObject metadata, nested objects included' {
        $shard = New-TestShard -Dimension 2
        [pscustomobject]@{ Key = 'p'; Vector = @(1, 2); Metadata = [pscustomobject]@{ lang = 'en'; source = [pscustomobject]@{ site = 'x'; rank = 3 } } } |
            Add-Vector $shard

        $metadata = (Get-Vector -Shard $shard -Key p).Metadata
        $metadata.lang | Should -Be 'en'
        $metadata.source.site | Should -Be 'x'
        $metadata.source.rank | Should -Be 3
    }

    It 'takes JSON object text as metadata' {
        $shard = New-TestShard -Dimension 2
        [pscustomobject]@{ Key = 'j'; Vector = @(1, 2); Metadata = '{"lang":"de","score":0.5,"tags":["a","b"],"ok":true}' } |
            Add-Vector $shard

        $metadata = (Get-Vector -Shard $shard -Key j).Metadata
        $metadata.lang | Should -Be 'de'
        $metadata.score | Should -Be 0.5
        $metadata.tags | Should -Be @('a', 'b')
        $metadata.ok | Should -BeTrue
    }

    It 'takes JSON text with -Metadata' {
        $shard = New-TestShard -Dimension 2
        Add-Vector $shard -Vector 1, 2 -Key k -Metadata '{"n": 7}'
        (Get-Vector -Shard $shard -Key k).Metadata.n | Should -Be 7
    }

    It 'does not carry Key or Metadata over from one piped object to the next' {
        $shard = New-TestShard -Dimension 2
        [pscustomobject]@{ Key = 'first'; Vector = @(1, 2); Metadata = @{ a = 1 } },
        [pscustomobject]@{ Vector = @(3, 4) } | Add-Vector $shard

        $stored = Get-Vector -Shard $shard
        @($stored).Count | Should -Be 2
        $stored[0].Key | Should -Be 'first'
        $stored[1].Key | Should -BeNullOrEmpty
        $stored[1].Metadata | Should -BeNullOrEmpty
        $stored[1].Vector | Should -Be @(3, 4)
    }

    It 'takes a float[] from the pipeline as one vector (,$v | Add-Vector)' {
        $shard = New-TestShard -Dimension 5
        $vector = New-TestVector -Dimension 5 -Random $random

        , $vector | Add-Vector $shard -Key piped

        (Get-VectorShard $shard.Path).Count | Should -Be 1
        (Get-Vector -Shard $shard -Key piped).Vector | Should -Be $vector
    }

    It 'takes several float[] from the pipeline as several vectors' {
        $shard = New-TestShard -Dimension 3
        $vectors = @(, (New-TestVector 3 $random)) + @(, (New-TestVector 3 $random)) + @(, (New-TestVector 3 $random))

        $vectors | Add-Vector $shard

        $stored = Get-Vector -Shard $shard
        @($stored).Count | Should -Be 3
        for ($i = 0; $i -lt 3; $i++) { $stored[$i].Vector | Should -Be $vectors[$i] }
    }

    It 'converts <Name> to float' -ForEach @(
        @{ Name = 'an object[] of ints'; Value = @(1, 2, 3) }
        @{ Name = 'an int[]'; Value = [int[]](1, 2, 3) }
        @{ Name = 'a long[]'; Value = [long[]](1, 2, 3) }
        @{ Name = 'a double[]'; Value = [double[]](1, 2, 3) }
        @{ Name = 'mixed numbers'; Value = @([byte]1, 2.0, [decimal]3) }
        @{ Name = 'a List[double]'; Value = [System.Collections.Generic.List[double]]@(1, 2, 3) }
    ) {
        $shard = New-TestShard -Dimension 3 -Metric L2

        Add-Vector $shard -Vector $Value -Key v

        $stored = (Get-Vector -Shard $shard -Key v).Vector
        $stored.GetType() | Should -Be ([float[]])
        $stored | Should -Be @(1, 2, 3)
    }

    It 'keeps doubles to float precision' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -Vector ([double[]](0.1, 1e-3)) -Key d
        $stored = (Get-Vector -Shard $shard -Key d).Vector
        $stored[0] | Should -Be ([float]0.1)
        $stored[1] | Should -Be ([float]1e-3)
    }

    It 'takes an object with an Embedding property' {
        $shard = New-TestShard -Dimension 2
        [pscustomobject]@{ Key = 'e'; Embedding = [float[]](3, 4) } | Add-Vector $shard
        (Get-Vector -Shard $shard -Key e).Vector | Should -Be @(3, 4)
    }

    It 'copies records from Get-Vector into another shard (Key, Vector and Metadata)' {
        $source = New-TestShard -Dimension 4
        New-TestRow -Count 5 -Dimension 4 -Random $random | Add-Vector $source
        $target = New-TestShard -Dimension 4

        Get-Vector -Shard $source | Add-Vector $target

        $copied = Get-Vector -Shard $target
        $original = Get-Vector -Shard $source
        $copied.Key | Should -Be $original.Key
        for ($i = 0; $i -lt 5; $i++) {
            $copied[$i].Vector | Should -Be $original[$i].Vector
            $copied[$i].Metadata.topic | Should -Be $original[$i].Metadata.topic
        }
    }

    It 'reads Vector (or Embedding), Key and Metadata from piped hashtables, whatever the case of their keys' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $dictionary = [System.Collections.Generic.Dictionary[string, object]]::new()   # case-sensitive keys
        $dictionary['vector'] = [double[]](5, 6)
        $dictionary['KEY'] = 'dict'

        @{ Key = 'plain'; Vector = @(1, 2); Metadata = @{ lang = 'en' } },
        [ordered]@{ Embedding = [float[]](3, 4); Key = 'ordered'; Metadata = '{"n": 2}' },
        $dictionary | Add-Vector $shard

        $stored = Get-Vector -Shard $shard
        $stored.Key | Should -Be @('plain', 'ordered', 'dict')
        $stored[0].Vector | Should -Be @(1, 2)
        $stored[0].Metadata.lang | Should -Be 'en'
        $stored[1].Vector | Should -Be @(3, 4)
        $stored[1].Metadata.n | Should -Be 2
        $stored[2].Vector | Should -Be @(5, 6)
        $stored[2].Metadata | Should -BeNullOrEmpty
    }

    It 'takes a row given with -InputObject' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -InputObject @{ Key = 'named'; Vector = @(1, 2); Metadata = @{ a = 1 } }
        $record = Get-Vector -Shard $shard -Key named
        $record.Vector | Should -Be @(1, 2)
        $record.Metadata.a | Should -Be 1
    }

    It 'keeps the key and metadata of VectorRecords from Get-Vector piped into another shard' {
        $source = New-TestShard -Dimension 3 -Metric L2
        Add-Vector $source -Vector 1, 2, 3 -Key rec -Metadata @{ lang = 'en'; n = 7; tags = 'a', 'b'; nested = @{ ok = $true } }
        Add-Vector $source -Vector 4, 5, 6
        $target = New-TestShard -Dimension 3 -Metric L2
        $records = Get-Vector -Shard $source
        $records | ForEach-Object { $_ | Should -BeOfType [VectorShard.VectorRecord] }

        $records | Add-Vector $target

        $copied = Get-Vector -Shard $target
        @($copied).Count | Should -Be 2
        $copied[0].Key | Should -Be 'rec'
        $copied[0].Vector | Should -Be @(1, 2, 3)
        $copied[0].Metadata.lang | Should -Be 'en'
        $copied[0].Metadata.n | Should -Be 7
        $copied[0].Metadata.tags | Should -Be @('a', 'b')
        $copied[0].Metadata.nested.ok | Should -BeTrue
        $copied[1].Key | Should -BeNullOrEmpty
        $copied[1].Metadata | Should -BeNullOrEmpty
        $copied[1].Vector | Should -Be @(4, 5, 6)
    }

    It 'takes a pipeline that mixes bare vectors, objects, hashtables and records' {
        $source = New-TestShard -Dimension 2 -Metric L2
        $record = Add-Vector $source -Vector 7, 8 -Key record -Metadata @{ from = 'record' } -PassThru
        $shard = New-TestShard -Dimension 2 -Metric L2

        @(
            , [float[]](1, 2)
            [pscustomobject]@{ Key = 'object'; Vector = @(3, 4); Metadata = @{ from = 'object' } }
            , @(5, 6)
            @{ Key = 'hashtable'; Embedding = [double[]](9, 10) }
            $record
        ) | Add-Vector $shard

        $stored = Get-Vector -Shard $shard
        @($stored).Count | Should -Be 5
        $stored.Key | Should -Be @($null, 'object', $null, 'hashtable', 'record')
        $stored[0].Vector | Should -Be @(1, 2)
        $stored[1].Vector | Should -Be @(3, 4)
        $stored[1].Metadata.from | Should -Be 'object'
        $stored[2].Vector | Should -Be @(5, 6)
        $stored[3].Vector | Should -Be @(9, 10)
        $stored[4].Vector | Should -Be @(7, 8)
        $stored[4].Metadata.from | Should -Be 'record'
    }

    It 'stores a non-string Key as its invariant text, as binding to a string would (<Case>)' -ForEach @(
        @{ Case = 'an int'; Key = 5; Expected = '5' }
        @{ Case = 'a double'; Key = 1.5; Expected = '1.5' }
        @{ Case = 'a date'; Key = [datetime]'2024-03-01T10:20:30'; Expected = '03/01/2024 10:20:30' }
    ) {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $culture = [cultureinfo]::CurrentCulture
        [cultureinfo]::CurrentCulture = 'de-DE'   # a culture that writes 1,5 and 01.03.2024
        try {
            [pscustomobject]@{ Key = $Key; Vector = @(1, 2) }, @{ Key = $Key; Vector = @(3, 4) } | Add-Vector $shard -Force
        }
        finally { [cultureinfo]::CurrentCulture = $culture }

        $record = Get-Vector -Shard $shard -Key $Expected
        $record.Key | Should -BeOfType [string]
        $record.Vector | Should -Be @(3, 4) -Because 'the hashtable''s key is the same text, so -Force replaced the first row'
        (Get-VectorShard $shard.Path).Count | Should -Be 1
    }

    It 'gives -Key and -Metadata on the command line to a piped row, over its own' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        [pscustomobject]@{ Key = 'own'; Vector = @(1, 2); Metadata = @{ own = 1 } } | Add-Vector $shard -Key given -Metadata @{ given = 1 }
        , [float[]](3, 4) | Add-Vector $shard -Metadata @{ bare = 1 }

        $stored = Get-Vector -Shard $shard
        $stored.Key | Should -Be @('given', $null)
        $stored[0].Metadata.given | Should -Be 1
        $stored[0].Metadata.ContainsKey('own') | Should -BeFalse
        $stored[1].Metadata.bare | Should -Be 1
    }

    It 'takes the shard as a path string, relative to the PowerShell location' {
        $shard = New-TestShard -Dimension 2
        Push-Location (Split-Path $shard.Path)
        try { Add-Vector (Split-Path $shard.Path -Leaf) -Vector 1, 2 -Key rel }
        finally { Pop-Location }
        (Get-Vector -Shard $shard -Key rel).Vector | Should -Be @(1, 2)
    }

    It 'adds to an in-memory shard' {
        $shard = New-TestShard -InMemory -Dimension 2 -Metric Dot
        Add-Vector $shard -Vector 0, 0 -Key zero
        (Get-VectorShard $shard.Path).Count | Should -Be 1
    }
}

Describe 'Add-Vector: -PassThru, batches and -Force' {
    BeforeAll { $random = New-TestRandom 2 }
    AfterAll { Remove-TestShard }

    It 'emits one VectorRecord per vector with -PassThru: ids, keys, versions, norms, shard path' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $rows = [pscustomobject]@{ Key = 'a'; Vector = @(3, 4) }, [pscustomobject]@{ Key = 'b'; Vector = @(0, 1) }

        $records = $rows | Add-Vector $shard -PassThru

        @($records).Count | Should -Be 2
        $records | ForEach-Object { $_ | Should -BeOfType [VectorShard.VectorRecord] }
        $records.Key | Should -Be @('a', 'b')
        $records[1].Id | Should -BeGreaterThan $records[0].Id
        $records.Version | Should -Be @(1, 2)
        $records[0].Norm | Should -Be 5
        $records[0].Vector | Should -Be @(3, 4)
        $records.ShardPath | Should -Be @($shard.Path, $shard.Path)
        $records[0].CreatedAt | Should -BeOfType [DateTimeOffset]
        ([DateTimeOffset]::UtcNow - $records[0].CreatedAt).TotalMinutes | Should -BeLessThan 5
        (Get-Vector -Shard $shard -Key a).Id | Should -Be $records[0].Id
    }

    It 'writes every row when there are more rows than -BatchSize (2500 rows, batches of 1000)' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $vectors = foreach ($i in 1..2500) { , [float[]]($i, 1) }

        $records = $vectors | Add-Vector $shard -BatchSize 1000 -PassThru

        @($records).Count | Should -Be 2500
        ($records.Id | Sort-Object -Unique).Count | Should -Be 2500
        $records[-1].Version | Should -Be 2500
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 2500
        $info.Version | Should -Be 2500
        (Get-Vector -Shard $shard -Id $records[1999].Id).Vector | Should -Be @(2000, 1)
    }

    It 'writes every keyed row with a small -BatchSize' {
        $shard = New-TestShard -Dimension 3
        $rows = New-TestRow -Count 25 -Dimension 3 -Random $random

        $rows | Add-Vector $shard -BatchSize 4

        (Get-VectorShard $shard.Path).Count | Should -Be 25
        (Get-Vector -Shard $shard).Key | Should -Be $rows.Key
    }

    It 'rejects -BatchSize <Size>' -ForEach @(@{ Size = 0 }, @{ Size = 1000001 }) {
        $shard = New-TestShard -Dimension 2
        { Add-Vector $shard -Vector 1, 2 -BatchSize $Size } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
        (Get-VectorShard $shard.Path).Count | Should -Be 0
    }

    It 'replaces an existing key with -Force, keeping its id and advancing its version' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $first = Add-Vector $shard -Vector 1, 2 -Key same -Metadata @{ v = 1 } -PassThru
        Add-Vector $shard -Vector 5, 5 -Key other

        $second = Add-Vector $shard -Vector 7, 8 -Key same -Metadata @{ v = 2 } -Force -PassThru

        $second.Id | Should -Be $first.Id
        $second.Version | Should -Be 3
        $record = Get-Vector -Shard $shard -Key same
        $record.Id | Should -Be $first.Id
        $record.Vector | Should -Be @(7, 8)
        $record.Metadata.v | Should -Be 2
        $record.Version | Should -Be 3
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 2
        $info.Version | Should -Be 3
    }

    It 'adds new keys and replaces existing ones in one -Force batch' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $old = [pscustomobject]@{ Key = 'a'; Vector = @(1, 1) }, [pscustomobject]@{ Key = 'b'; Vector = @(2, 2) } | Add-Vector $shard -PassThru

        [pscustomobject]@{ Key = 'b'; Vector = @(9, 9) }, [pscustomobject]@{ Key = 'c'; Vector = @(3, 3) } | Add-Vector $shard -Force

        $stored = Get-Vector -Shard $shard
        $stored.Key | Should -Be @('a', 'b', 'c')
        $stored[1].Id | Should -Be $old[1].Id
        $stored[1].Vector | Should -Be @(9, 9)
    }

    It 'keeps the last of a repeated key within one -Force input' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        [pscustomobject]@{ Key = 'r'; Vector = @(1, 1) }, [pscustomobject]@{ Key = 'r'; Vector = @(2, 2) } | Add-Vector $shard -Force
        (Get-VectorShard $shard.Path).Count | Should -Be 1
        (Get-Vector -Shard $shard -Key r).Vector | Should -Be @(2, 2)
    }
}

Describe 'Add-Vector: errors write nothing of the failing batch' {
    BeforeAll {
        $random = New-TestRandom 3
        # One shard per metric with three vectors, shared by the tests of this block: each checks that its
        # failure left count and version as they were.
        $cosine = New-TestShard -Dimension 3 -Metric Cosine
        $l2 = New-TestShard -Dimension 3 -Metric L2
        foreach ($shard in $cosine, $l2) {
            [pscustomobject]@{ Key = 'one'; Vector = @(1, 0, 0) },
            [pscustomobject]@{ Key = 'two'; Vector = @(0, 1, 0) },
            [pscustomobject]@{ Key = 'three'; Vector = @(0, 0, 1) } | Add-Vector $shard
        }
    }
    AfterAll { Remove-TestShard }

    It '<Case>: <ErrorId> (<Category>)' -ForEach @(
        @{ Case = 'too few components'; Vector = @(1, 2); ErrorId = 'DimensionMismatch'; Category = 'InvalidArgument' }
        @{ Case = 'too many components'; Vector = @(1, 2, 3, 4); ErrorId = 'DimensionMismatch'; Category = 'InvalidArgument' }
        @{ Case = 'NaN'; Vector = [float[]](1, [float]::NaN, 3); ErrorId = 'NonFiniteComponent'; Category = 'InvalidArgument' }
        @{ Case = 'positive infinity'; Vector = [float[]](1, 2, [float]::PositiveInfinity); ErrorId = 'NonFiniteComponent'; Category = 'InvalidArgument' }
        @{ Case = 'negative infinity'; Vector = @([double]::NegativeInfinity, 2, 3); ErrorId = 'NonFiniteComponent'; Category = 'InvalidArgument' }
        @{ Case = 'a double beyond float range'; Vector = @(1e300, 2, 3); ErrorId = 'NonFiniteComponent'; Category = 'InvalidArgument' }
        @{ Case = 'a norm too large to compare'; Vector = @(1e20, 1e20, 1e20); ErrorId = 'NormOverflow'; Category = 'InvalidArgument' }
        @{ Case = 'a norm too small for cosine'; Vector = [float[]](1e-20, 0, 0); ErrorId = 'NormUnderflow'; Category = 'InvalidArgument' }
        @{ Case = 'an empty vector @()'; Vector = @(); ErrorId = 'EmptyVector'; Category = 'InvalidArgument' }
        @{ Case = 'an empty float[]'; Vector = [float[]]::new(0); ErrorId = 'EmptyVector'; Category = 'InvalidArgument' }
        @{ Case = 'a non-numeric component'; Vector = @(1, 'x', 3); ErrorId = 'NonNumericComponent'; Category = 'InvalidType' }
        @{ Case = 'a numeric string component'; Vector = @(1, '2', 3); ErrorId = 'NonNumericComponent'; Category = 'InvalidType' }
        @{ Case = 'a null component'; Vector = @(1, $null, 3); ErrorId = 'NonNumericComponent'; Category = 'InvalidType' }
        @{ Case = 'a string as vector'; Vector = 'x'; ErrorId = 'NotAVector'; Category = 'InvalidType' }
        @{ Case = 'a string of numbers as vector'; Vector = '1,2,3'; ErrorId = 'NotAVector'; Category = 'InvalidType' }
        @{ Case = 'a single number as vector'; Vector = 42; ErrorId = 'NotAVector'; Category = 'InvalidType' }
        @{ Case = 'an object without a Vector property'; Vector = [pscustomobject]@{ Values = @(1, 2, 3) }; ErrorId = 'NotAVector'; Category = 'InvalidType' }
        @{ Case = 'null'; Vector = $null; ErrorId = 'NotAVector'; Category = 'InvalidType' }
    ) {
        $before = Get-ShardState $cosine

        $err = Get-TerminatingError { Add-Vector $cosine -Vector $Vector -Key 'bad-row' }

        Assert-ShardError $err -ErrorId $ErrorId -Category $Category
        Assert-Unchanged $cosine $before
        Get-Vector -Shard $cosine -Key 'bad-row' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'rejects a piped <Case> (<ErrorId>), naming the row' -ForEach @(
        @{ Case = 'object without Vector or Embedding'; Row = [pscustomobject]@{ Key = 'no-vector'; Values = @(1, 2, 3) }; ErrorId = 'NotAVector'; Category = 'InvalidType'; Name = "'no-vector'" }
        @{ Case = 'keyless object without Vector or Embedding'; Row = [pscustomobject]@{ Values = @(1, 2, 3) }; ErrorId = 'NotAVector'; Category = 'InvalidType'; Name = '#3' }
        @{ Case = 'hashtable without Vector or Embedding'; Row = @{ Key = 'no-vector'; Values = @(1, 2, 3) }; ErrorId = 'NotAVector'; Category = 'InvalidType'; Name = "'no-vector'" }
        @{ Case = 'string'; Row = '1,2,3'; ErrorId = 'NotAVector'; Category = 'InvalidType'; Name = '#3' }
        @{ Case = 'null'; Row = $null; ErrorId = 'NotAVector'; Category = 'InvalidType'; Name = '#3' }
        @{ Case = 'empty vector'; Row = [pscustomobject]@{ Key = 'empty'; Vector = @() }; ErrorId = 'EmptyVector'; Category = 'InvalidArgument'; Name = "'empty'" }
        @{ Case = 'non-numeric component'; Row = @{ Key = 'text'; Vector = @(1, 'x', 3) }; ErrorId = 'NonNumericComponent'; Category = 'InvalidType'; Name = "'text'" }
        @{ Case = 'object with unstorable metadata'; Row = [pscustomobject]@{ Key = 'meta'; Vector = @(1, 1, 1); Metadata = 5 }; ErrorId = 'UnsupportedMetadata'; Category = 'InvalidType'; Name = "'meta'" }
    ) {
        $before = Get-ShardState $cosine
        $rows = @(
            [pscustomobject]@{ Key = 'piped-ok-1'; Vector = @(1, 1, 0) }
            , [float[]](0, 1, 1)
            $Row
        )

        $err = Get-TerminatingError { $rows | Add-Vector $cosine }

        Assert-ShardError $err -ErrorId $ErrorId -Category $Category
        $err.Exception.Message | Should -BeLike "*$Name*"
        Assert-Unchanged $cosine $before
        Get-Vector -Shard $cosine -Key 'piped-ok-1' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'names the row in the message: its key, or its position in the whole input' {
        $err = Get-TerminatingError { Add-Vector $cosine -Vector 1, 2 -Key 'my-key' }
        $err.Exception.Message | Should -BeLike "*'my-key'*"

        # Keyless rows are numbered across batches: the fifth row is #5 even with batches of two.
        $before = Get-ShardState $cosine
        $vectors = @(, [float[]](1, 1, 1)) * 4 + @(, [float[]](1, 1))
        $err = Get-TerminatingError { $vectors | Add-Vector $cosine -BatchSize 2 }
        Assert-ShardError $err -ErrorId DimensionMismatch -Category InvalidArgument
        $err.Exception.Message | Should -BeLike '*#5*'
        (Get-ShardState $cosine).Count | Should -Be ($before.Count + 4)
        Get-Vector -Shard $cosine | Where-Object { $null -eq $_.Key } | Remove-Vector
    }

    It 'rejects a zero vector on a cosine shard (ZeroVector, InvalidArgument)' {
        $before = Get-ShardState $cosine
        $err = Get-TerminatingError { Add-Vector $cosine -Vector 0, 0, 0 -Key zero }
        Assert-ShardError $err -ErrorId ZeroVector -Category InvalidArgument
        Assert-Unchanged $cosine $before
    }

    It 'accepts a tiny vector on an L2 shard' {
        Add-Vector $l2 -Vector ([float[]](1e-20, 0, 0)) -Key tiny
        (Get-Vector -Shard $l2 -Key tiny).Vector[0] | Should -Be ([float]1e-20)
        Remove-Vector $l2 -Key tiny
    }

    It 'accepts a zero vector on an L2 shard' {
        Add-Vector $l2 -Vector 0, 0, 0 -Key zero
        (Get-Vector -Shard $l2 -Key zero).Vector | Should -Be @(0, 0, 0)
        Remove-Vector $l2 -Key zero
    }

    It 'rejects a key that exists (DuplicateKey, ResourceExists) and writes nothing of the batch' {
        $before = Get-ShardState $cosine
        $rows = [pscustomobject]@{ Key = 'new-1'; Vector = @(1, 1, 0) },
        [pscustomobject]@{ Key = 'two'; Vector = @(1, 1, 1) },
        [pscustomobject]@{ Key = 'new-2'; Vector = @(0, 1, 1) }

        $err = Get-TerminatingError { $rows | Add-Vector $cosine }

        Assert-ShardError $err -ErrorId DuplicateKey -Category ResourceExists
        $err.TargetObject | Should -Be 'two'
        Assert-Unchanged $cosine $before
        Get-Vector -Shard $cosine -Key 'new-1', 'new-2' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-Vector -Shard $cosine -Key two).Vector | Should -Be @(0, 1, 0)
    }

    It 'rejects a key repeated within the input (DuplicateKeyInBatch, InvalidArgument)' {
        $before = Get-ShardState $cosine
        $rows = [pscustomobject]@{ Key = 'twice'; Vector = @(1, 1, 0) },
        [pscustomobject]@{ Key = 'once'; Vector = @(1, 1, 1) },
        [pscustomobject]@{ Key = 'twice'; Vector = @(0, 1, 1) }

        $err = Get-TerminatingError { $rows | Add-Vector $cosine }

        Assert-ShardError $err -ErrorId DuplicateKeyInBatch -Category InvalidArgument
        $err.TargetObject | Should -Be 'twice'
        Assert-Unchanged $cosine $before
    }

    It 'writes nothing of a piped batch with a bad row in the middle (<Case>)' -ForEach @(
        @{ Case = 'wrong dimension'; Bad = @(1, 2); ErrorId = 'DimensionMismatch' }
        @{ Case = 'non-numeric'; Bad = @(1, 'x', 3); ErrorId = 'NonNumericComponent' }
        @{ Case = 'NaN'; Bad = @(1, [double]::NaN, 3); ErrorId = 'NonFiniteComponent' }
        @{ Case = 'zero'; Bad = @(0, 0, 0); ErrorId = 'ZeroVector' }
    ) {
        $before = Get-ShardState $cosine
        $rows = @(
            New-TestRow -Count 3 -Dimension 3 -Random $random -Prefix 'mid-a'
            [pscustomobject]@{ Key = 'mid-bad'; Vector = $Bad }
            New-TestRow -Count 3 -Dimension 3 -Random $random -Prefix 'mid-b'
        )

        $err = Get-TerminatingError { $rows | Add-Vector $cosine }

        Assert-ShardError $err -ErrorId $ErrorId
        Assert-Unchanged $cosine $before
        Get-Vector -Shard $cosine -Key 'mid-a0', 'mid-a2' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'stops at the bad row: earlier full batches stay, nothing of the bad row''s batch or after it is written' {
        $shard = New-TestShard -Dimension 3 -Metric L2
        $rows = @(
            New-TestRow -Count 4 -Dimension 3 -Random $random -Prefix 'ok'   # two full batches of 2
            [pscustomobject]@{ Key = 'row5'; Vector = @(1, 2, 3) }           # batch 3, with the bad row
            [pscustomobject]@{ Key = 'row6'; Vector = @(1, 2) }
            New-TestRow -Count 3 -Dimension 3 -Random $random -Prefix 'late'
        )

        $err = Get-TerminatingError { $rows | Add-Vector $shard -BatchSize 2 }

        Assert-ShardError $err -ErrorId DimensionMismatch -Category InvalidArgument
        (Get-Vector -Shard $shard).Key | Should -Be @('ok0', 'ok1', 'ok2', 'ok3')
        (Get-VectorShard $shard.Path).Version | Should -Be 4
    }

    It 'stops the command: the error is terminating even with -ErrorAction SilentlyContinue' {
        $before = Get-ShardState $cosine
        { Add-Vector $cosine -Vector 1, 2 -ErrorAction SilentlyContinue } | Should -Throw
        { , [float[]](1, 2) | Add-Vector $cosine -ErrorAction SilentlyContinue } | Should -Throw
        Assert-Unchanged $cosine $before
    }

    It 'rejects metadata it cannot store (UnsupportedMetadata, InvalidType): <Case>' -ForEach @(
        @{ Case = 'a number'; Metadata = 5 }
        @{ Case = 'a NaN value'; Metadata = @{ score = [double]::NaN } }
        @{ Case = 'a script block value'; Metadata = @{ code = { 'x' } } }
    ) {
        $before = Get-ShardState $cosine
        $err = Get-TerminatingError { Add-Vector $cosine -Vector 1, 1, 1 -Key 'meta-bad' -Metadata $Metadata }
        Assert-ShardError $err -ErrorId UnsupportedMetadata -Category InvalidType
        Assert-Unchanged $cosine $before
    }

    It 'rejects metadata text that is not a JSON object (InvalidMetadataJson, InvalidArgument): <Case>' -ForEach @(
        @{ Case = 'JSON that is not an object'; Metadata = '[1, 2]' }
        @{ Case = 'text that is not JSON'; Metadata = 'not json' }
    ) {
        $before = Get-ShardState $cosine
        $err = Get-TerminatingError { Add-Vector $cosine -Vector 1, 1, 1 -Key 'meta-bad' -Metadata $Metadata }
        Assert-ShardError $err -ErrorId InvalidMetadataJson -Category InvalidArgument
        $err.TargetObject | Should -Be $Metadata
        Assert-Unchanged $cosine $before
    }

    It 'still works after a failed batch' {
        $null = Get-TerminatingError { Add-Vector $cosine -Vector 1, 2 -Key after }
        Add-Vector $cosine -Vector 1, 2, 3 -Key after
        (Get-Vector -Shard $cosine -Key after).Vector | Should -Be @(1, 2, 3)
        Remove-Vector $cosine -Key after
    }

    It 'stops when the shard does not exist (ShardNotFound) and creates no file' {
        $path = Join-Path $TestDrive 'nowhere.vshard'
        $err = Get-TerminatingError { Add-Vector $path -Vector 1, 2, 3 }
        Assert-ShardError $err -ErrorId ShardNotFound -Category ObjectNotFound
        $path | Should -Not -Exist
    }
}

Describe 'Add-Vector: -WhatIf' {
    AfterAll { Remove-TestShard }

    It 'writes nothing and emits nothing, even with -PassThru' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -Vector 1, 1 -Key existing

        $out = 1..5 | ForEach-Object { [pscustomobject]@{ Key = "w$_"; Vector = @($_, 1) } } | Add-Vector $shard -PassThru -WhatIf -BatchSize 2

        $out | Should -BeNullOrEmpty
        $info = Get-VectorShard $shard.Path
        $info.Count | Should -Be 1
        $info.Version | Should -Be 1
    }
}

Describe 'Add-Vector: progress' {
    BeforeAll {
        # Pipes $Count two-dim vectors into a new shard, in batches of 1000, in a runspace that records progress;
        # the run's result carries the shard's path as ShardPath.
        function Invoke-ProgressRun([int] $Count) {
            $shard = New-TestShard -Dimension 2 -Metric L2
            $script = {
                $ProgressPreference = 'Continue'
                $vectors = foreach ($i in 1..$Count) { , [float[]]($i, 1) }
                $vectors | Add-Vector $ShardPath -BatchSize 1000 -ProgressAction Continue
                (Get-VectorShard $ShardPath).Count
            }

            Invoke-InRunspace -Script $script.ToString() -Variables @{ ShardPath = $shard.Path; Count = $Count } |
                Add-Member -NotePropertyName ShardPath -NotePropertyValue $shard.Path -PassThru
        }
    }

    AfterAll { Remove-TestShard }

    It 'writes progress records when the input spans several batches' {
        $run = Invoke-ProgressRun 2500

        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -Be 2500
        $run.Progress.Count | Should -BeGreaterThan 0
        $run.Progress | ForEach-Object { $_.Activity | Should -BeLike "*$($run.ShardPath)*" }
        $run.Progress[-1].RecordType | Should -Be 'Completed'
        ($run.Progress | Where-Object RecordType -EQ 'Processing').StatusDescription | Should -Contain '2500 vectors added'
    }

    It 'writes no progress when the input fits in one batch' {
        $run = Invoke-ProgressRun 50

        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -Be 50
        $run.Progress | Should -BeNullOrEmpty
    }
}
