BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    $script:Dimension = 8
    $random = New-TestRandom 2024
    # 60 rows: k0..k59, metadata topic a/b/c by index mod 3, n = index, even = whether the index is even.
    $script:Rows = @(New-TestRow -Count 60 -Dimension $Dimension -Random $random)
    $script:Queries = @(1..3 | ForEach-Object { , (New-TestVector -Dimension $Dimension -Random $random) })
    $script:Shards = @{}
    foreach ($metric in 'Cosine', 'L2', 'Dot') {
        $Shards[$metric] = New-TestShard -Dimension $Dimension -Metric $metric -Name $metric.ToLower()
        $Rows | Add-Vector $Shards[$metric]
    }

    # Checks results against the naive reference: same keys in the same order, distances within 1e-4.
    function Assert-MatchesReference($Results, $Reference) {
        @($Results).Count | Should -Be @($Reference).Count
        @($Results.Key) | Should -Be @($Reference.Key)
        for ($i = 0; $i -lt @($Reference).Count; $i++) {
            @($Results)[$i].Distance | Should -BeGreaterOrEqual (@($Reference)[$i].Distance - 1e-4)
            @($Results)[$i].Distance | Should -BeLessOrEqual (@($Reference)[$i].Distance + 1e-4)
        }
    }
}
AfterAll { Remove-TestShard }

Describe 'Search-Vector: exact nearest neighbours' {
    It 'finds the exact top <K> under <Metric> for query #<QueryNumber>, like a naive scan' -ForEach @(
        foreach ($metric in 'Cosine', 'L2', 'Dot') {
            foreach ($q in 0..2) { @{ Metric = $metric; QueryNumber = $q; K = 5 } }
        }
        @{ Metric = 'Cosine'; QueryNumber = 0; K = 1 }
        @{ Metric = 'L2'; QueryNumber = 1; K = 20 }
    ) {
        $query = $Queries[$QueryNumber]
        $reference = Get-ReferenceNeighbour -Rows $Rows -Query $query -Metric $Metric -K $K

        $results = Search-Vector -Shard $Shards[$Metric] -Query $query -K $K

        Assert-MatchesReference $results $reference
        $results | ForEach-Object Rank | Should -Be (1..$K)
        $results | ForEach-Object { $_.QueryIndex | Should -Be 0 }
    }

    It 'emits VectorShard.SearchResult objects with id, key, metadata and shard path' {
        $results = Search-Vector $Shards.L2 $Queries[0] -K 3

        $results | ForEach-Object { $_ | Should -BeOfType [VectorShard.SearchResult] }
        $best = $results[0]
        $record = Get-Vector -Shard $Shards.L2 -Key $best.Key
        $best.Id | Should -Be $record.Id
        $best.Metadata.topic | Should -Be $record.Metadata.topic
        $best.Metadata.n | Should -Be $record.Metadata.n
        $best.ShardPath | Should -Be $Shards.L2.Path
    }

    It 'orders results best first (distance never decreases) under <Metric>' -ForEach @(
        @{ Metric = 'Cosine' }, @{ Metric = 'L2' }, @{ Metric = 'Dot' }
    ) {
        $results = Search-Vector $Shards[$Metric] $Queries[2] -K 60
        @($results).Count | Should -Be 60
        for ($i = 1; $i -lt 60; $i++) { $results[$i].Distance | Should -BeGreaterOrEqual $results[$i - 1].Distance }
        $results | ForEach-Object Rank | Should -Be (1..60)
    }

    It 'returns 10 results by default' {
        @(Search-Vector $Shards.Cosine $Queries[0]).Count | Should -Be 10
    }

    It 'returns every vector when K exceeds the count' {
        @(Search-Vector $Shards.Cosine $Queries[0] -K 1000).Count | Should -Be 60
    }

    It 'finds a stored vector itself first, at distance 0 (<Metric>)' -ForEach @(@{ Metric = 'Cosine' }, @{ Metric = 'L2' }) {
        $best = Search-Vector $Shards[$Metric] $Rows[17].Vector -K 1
        $best.Key | Should -Be 'k17'
        $best.Distance | Should -BeLessThan 1e-5
        $best.Distance | Should -BeGreaterOrEqual 0
    }

    It 'measures distances as documented: cosine in [0, 2], L2 Euclidean, Dot the negative inner product' {
        $shard = New-TestShard -Dimension 2 -Metric Dot
        Add-Vector $shard -Vector 1, 2 -Key v
        (Search-Vector $shard -Query 3, 4 -K 1).Distance | Should -Be -11

        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -Vector 0, 0 -Key v
        (Search-Vector $shard -Query 3, 4 -K 1).Distance | Should -Be 5

        $shard = New-TestShard -Dimension 2 -Metric Cosine
        Add-Vector $shard -Vector 1, 0 -Key v
        (Search-Vector $shard -Query @(-1, 0) -K 1).Distance | Should -Be 2
        [Math]::Abs((Search-Vector $shard -Query 0, 1 -K 1).Distance - 1) | Should -BeLessThan 1e-6
    }

    It 'orders equal distances by id' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        $records = 'x', 'y', 'z' | ForEach-Object { Add-Vector $shard -Vector 1, 1 -Key $_ -PassThru }
        Add-Vector $shard -Vector 5, 5 -Key far

        $results = Search-Vector $shard -Query 1, 1 -K 3

        $results.Key | Should -Be @('x', 'y', 'z')
        $results.Id | Should -Be $records.Id
    }

    It 'returns nothing from an empty shard' {
        $shard = New-TestShard -Dimension 2
        Search-Vector $shard -Query 1, 1 | Should -BeNullOrEmpty
    }

    It 'searches an in-memory shard' {
        $shard = New-TestShard -InMemory -Dimension $Dimension -Metric L2
        $Rows | Select-Object -First 10 | Add-Vector $shard
        $reference = Get-ReferenceNeighbour -Rows ($Rows | Select-Object -First 10) -Query $Queries[0] -Metric L2 -K 3
        Assert-MatchesReference (Search-Vector $shard $Queries[0] -K 3) $reference
    }
}

Describe 'Search-Vector: -Threshold and -Filter' {
    It 'returns only neighbours at or within -Threshold (<Metric>)' -ForEach @(
        @{ Metric = 'Cosine' }, @{ Metric = 'L2' }, @{ Metric = 'Dot' }
    ) {
        $all = Get-ReferenceNeighbour -Rows $Rows -Query $Queries[1] -Metric $Metric -K 60
        # Halfway between the 4th and 5th reference distances: exactly four qualify.
        $threshold = ($all[3].Distance + $all[4].Distance) / 2

        $results = Search-Vector $Shards[$Metric] $Queries[1] -K 10 -Threshold $threshold

        Assert-MatchesReference $results ($all | Select-Object -First 4)
        $results | ForEach-Object { $_.Distance | Should -BeLessOrEqual $threshold }
    }

    It 'returns nothing when no vector is within -Threshold' {
        Search-Vector $Shards.L2 $Queries[0] -Threshold 0.0001 | Should -BeNullOrEmpty
    }

    It 'applies -K after -Threshold' {
        @(Search-Vector $Shards.L2 $Queries[0] -K 2 -Threshold 1000).Count | Should -Be 2
    }

    It 'filters on <Name>' -ForEach @(
        @{ Name = 'a string'; Filter = @{ topic = 'a' }; Where = { $_.Metadata.topic -eq 'a' } }
        @{ Name = 'a whole number'; Filter = @{ n = 5 }; Where = { $_.Metadata.n -eq 5 } }
        @{ Name = 'a long'; Filter = @{ n = [long]12 }; Where = { $_.Metadata.n -eq 12 } }
        @{ Name = 'a double equal to a whole number'; Filter = @{ n = 12.0 }; Where = { $_.Metadata.n -eq 12 } }
        @{ Name = 'true'; Filter = @{ even = $true }; Where = { $_.Metadata.even } }
        @{ Name = 'false'; Filter = @{ even = $false }; Where = { -not $_.Metadata.even } }
        @{ Name = 'two fields (all must hold)'; Filter = @{ topic = 'b'; even = $false }; Where = { $_.Metadata.topic -eq 'b' -and -not $_.Metadata.even } }
    ) {
        $eligible = @($Rows | Where-Object $Where)
        $eligible.Count | Should -BeGreaterThan 0
        $reference = Get-ReferenceNeighbour -Rows $eligible -Query $Queries[0] -Metric Cosine -K 5

        $results = Search-Vector $Shards.Cosine $Queries[0] -K 5 -Filter $Filter

        Assert-MatchesReference $results $reference
        $results | ForEach-Object Rank | Should -Be (1..@($reference).Count)
    }

    It 'returns nothing when the filter matches nothing' {
        Search-Vector $Shards.Cosine $Queries[0] -Filter @{ topic = 'zzz' } | Should -BeNullOrEmpty
        Search-Vector $Shards.Cosine $Queries[0] -Filter @{ missing = 'x' } | Should -BeNullOrEmpty
    }

    It 'reaches into nested metadata with dotted names, and matches a missing field with $null' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -Vector 1, 0 -Key en -Metadata @{ source = @{ lang = 'en'; year = 2020 } }
        Add-Vector $shard -Vector 2, 0 -Key de -Metadata @{ source = @{ lang = 'de'; year = 2021 } }
        Add-Vector $shard -Vector 3, 0 -Key none -Metadata @{ other = 1 }
        Add-Vector $shard -Vector 4, 0 -Key bare

        (Search-Vector $shard -Query 0, 0 -Filter @{ 'source.lang' = 'de' }).Key | Should -Be 'de'
        (Search-Vector $shard -Query 0, 0 -Filter @{ 'source.year' = 2020 }).Key | Should -Be 'en'
        (Search-Vector $shard -Query 0, 0 -Filter @{ source = $null }).Key | Should -Be @('none', 'bare')
    }

    It 'rejects a filter value it cannot compare (InvalidFilter, InvalidArgument)' {
        $err = Get-TerminatingError { Search-Vector $Shards.Cosine $Queries[0] -Filter @{ topic = @('a', 'b') } }
        Assert-ShardError $err -ErrorId InvalidFilter -Category InvalidArgument
    }

    It 'rejects a dotted field name with an empty segment (InvalidFilter)' {
        $err = Get-TerminatingError { Search-Vector $Shards.Cosine $Queries[0] -Filter @{ 'a..b' = 1 } }
        Assert-ShardError $err -ErrorId InvalidFilter -Category InvalidArgument
    }
}

Describe 'Search-Vector: queries from the pipeline' {
    It 'answers several piped queries, numbering them with QueryIndex 0, 1, 2' {
        $results = $Queries | Search-Vector $Shards.L2 -K 4

        @($results).Count | Should -Be 12
        $results.QueryIndex | Should -Be @(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2)
        for ($q = 0; $q -lt 3; $q++) {
            $answer = $results | Where-Object QueryIndex -EQ $q
            $answer | ForEach-Object Rank | Should -Be (1..4)
            Assert-MatchesReference $answer (Get-ReferenceNeighbour -Rows $Rows -Query $Queries[$q] -Metric L2 -K 4)
        }
    }

    It 'answers piped queries in batches of -BatchSize <BatchSize> under <Metric>, like one query at a time' -ForEach @(
        @{ BatchSize = 1; Metric = 'Cosine' }, @{ BatchSize = 2; Metric = 'L2' }, @{ BatchSize = 64; Metric = 'Dot' }
    ) {
        $many = @(1..11 | ForEach-Object { , (New-TestVector -Dimension $Dimension -Random (New-TestRandom $_)) })
        $results = $many | Search-Vector $Shards[$Metric] -K 3 -BatchSize $BatchSize

        $results.QueryIndex | Should -Be @(0..10 | ForEach-Object { $_, $_, $_ })
        for ($q = 0; $q -lt 11; $q++) {
            $alone = Search-Vector $Shards[$Metric] -Query $many[$q] -K 3
            Assert-MatchesReference ($results | Where-Object QueryIndex -EQ $q) $alone
            Assert-MatchesReference $alone (Get-ReferenceNeighbour -Rows $Rows -Query $many[$q] -Metric $Metric -K 3)
        }
    }

    It 'keeps each query''s index when a bad query in the middle of a batch is left out' {
        $good = New-TestVector -Dimension $Dimension -Random (New-TestRandom 7)
        $mixed = @($good, @(1, 2), $good, $good)
        $results = $mixed | Search-Vector $Shards.L2 -K 1 -BatchSize 3 -ErrorAction SilentlyContinue -ErrorVariable errors

        $results.QueryIndex | Should -Be @(0, 2, 3)
        Assert-ShardError $errors -ErrorId DimensionMismatch
        ($results.Key | Select-Object -Unique) | Should -HaveCount 1
    }

    It 'takes a record from Get-Vector as the query (its Vector property)' {
        $result = Get-Vector -Shard $Shards.Cosine -Key k42 | Search-Vector $Shards.Cosine -K 1
        $result.Key | Should -Be 'k42'
        $result.QueryIndex | Should -Be 0
    }

    It 'takes several records from Get-Vector as several queries' {
        $results = Get-Vector -Shard $Shards.L2 -Key k3, k30, k7 | Search-Vector $Shards.L2 -K 1
        $results.Key | Should -Be @('k3', 'k30', 'k7')
        $results.QueryIndex | Should -Be @(0, 1, 2)
    }

    It 'takes a query with -Vector (alias of -Query) and by position' {
        (Search-Vector -Shard $Shards.L2 -Vector $Rows[9].Vector -K 1).Key | Should -Be 'k9'
        (Search-Vector $Shards.L2 $Rows[9].Vector -K 1).Key | Should -Be 'k9'
    }

    It 'takes a query of ints or doubles' {
        $shard = New-TestShard -Dimension 3 -Metric L2
        Add-Vector $shard -Vector 1, 2, 3 -Key near
        Add-Vector $shard -Vector 9, 9, 9 -Key far
        (Search-Vector $shard -Query 1, 2, 4 -K 1).Key | Should -Be 'near'
        (Search-Vector $shard -Query ([double[]](1.0, 2.0, 3.5)) -K 1).Key | Should -Be 'near'
    }

    It 'reports a wrong-dimension query as a non-terminating DimensionMismatch and answers the others' {
        $queries = @(, $Queries[0]) + @(, [float[]](1, 2, 3)) + @(, $Queries[2])

        $results = $queries | Search-Vector $Shards.Cosine -K 2 -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId DimensionMismatch -Category InvalidArgument
        $errors[0].Exception.Message | Should -BeLike '*#2*'
        $results.QueryIndex | Should -Be @(0, 0, 2, 2)
        Assert-MatchesReference ($results | Where-Object QueryIndex -EQ 2) (Get-ReferenceNeighbour -Rows $Rows -Query $Queries[2] -Metric Cosine -K 2)
    }

    It 'reports a query that is <Case> as <ErrorId> and answers the others' -ForEach @(
        @{ Case = 'text'; Bad = 'hello'; ErrorId = 'NotAVector'; Category = 'InvalidType' }
        @{ Case = 'non-numeric'; Bad = @(1, 2, 3, 4, 5, 6, 7, 'x'); ErrorId = 'NonNumericComponent'; Category = 'InvalidType' }
        @{ Case = 'all zeros (cosine)'; Bad = [float[]]::new(8); ErrorId = 'ZeroVector'; Category = 'InvalidArgument' }
        @{ Case = 'NaN'; Bad = [float[]](1, 2, 3, 4, 5, 6, 7, [float]::NaN); ErrorId = 'NonFiniteComponent'; Category = 'InvalidArgument' }
        @{ Case = 'empty'; Bad = [float[]]::new(0); ErrorId = 'EmptyVector'; Category = 'InvalidArgument' }
        @{ Case = 'null'; Bad = $null; ErrorId = 'NotAVector'; Category = 'InvalidType' }
    ) {
        $queries = @(, $Bad) + @(, $Queries[1])

        $results = $queries | Search-Vector $Shards.Cosine -K 1 -ErrorVariable errors -ErrorAction SilentlyContinue

        Assert-ShardError $errors -ErrorId $ErrorId -Category $Category
        $results.QueryIndex | Should -Be 1
    }

    It 'stops on a bad query with -ErrorAction Stop' {
        $err = Get-TerminatingError { Search-Vector $Shards.Cosine -Query 1, 2 -ErrorAction Stop }
        Assert-ShardError $err -ErrorId DimensionMismatch -Category InvalidArgument
    }
}

Describe 'Search-Vector: the shard' {
    It 'takes the shard as a path string' {
        (Search-Vector -Shard $Shards.L2.Path -Query $Rows[3].Vector -K 1).Key | Should -Be 'k3'
    }

    It 'takes a relative path, resolved against the PowerShell location' {
        Push-Location (Split-Path $Shards.L2.Path)
        try { $result = Search-Vector (Split-Path $Shards.L2.Path -Leaf) $Rows[3].Vector -K 1 }
        finally { Pop-Location }
        $result.Key | Should -Be 'k3'
    }

    It 'stops when the shard does not exist (ShardNotFound, ObjectNotFound)' {
        $err = Get-TerminatingError { Search-Vector (Join-Path $TestDrive 'none.vshard') -Query 1, 2 }
        Assert-ShardError $err -ErrorId ShardNotFound -Category ObjectNotFound
    }

    It 'rejects -K <K>' -ForEach @(@{ K = 0 }, @{ K = -3 }) {
        { Search-Vector $Shards.L2 $Queries[0] -K $K } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It 'sees vectors added and removed since the last search' {
        $shard = New-TestShard -Dimension 2 -Metric L2
        Add-Vector $shard -Vector 5, 5 -Key far
        (Search-Vector $shard -Query 0, 0 -K 1).Key | Should -Be 'far'
        Add-Vector $shard -Vector 1, 1 -Key near
        (Search-Vector $shard -Query 0, 0 -K 1).Key | Should -Be 'near'
        Remove-Vector $shard -Key near
        (Search-Vector $shard -Query 0, 0 -K 1).Key | Should -Be 'far'
    }

    It 'sees vectors another process adds and removes between its searches, and nothing else changes its answers' {
        # Between writes a search asks SQLite nothing: it compares the wal-index header in the -shm file, which every
        # commit rewrites, so another process's commit must show there.
        $path = New-TestShardPath 'shared'
        $null = New-VectorShard -Path $path -Dimension 2 -Metric L2
        Add-Vector $path -Vector 5, 5 -Key far
        (Search-Vector $path -Query 0, 0 -K 2).Key | Should -Be 'far'
        (Search-Vector $path -Query 0, 0 -K 2).Key | Should -Be 'far'
        $null = Invoke-ModuleInChildPwsh "Add-Vector -Shard '$path' -Vector 1, 1 -Key near"
        (Search-Vector $path -Query 0, 0 -K 2).Key | Should -Be 'near', 'far'
        $null = Invoke-ModuleInChildPwsh "Remove-Vector -Shard '$path' -Key far -Confirm:`$false"
        (Search-Vector $path -Query 0, 0 -K 2).Key | Should -Be 'near'
        (Search-Vector $path -Query 0, 0 -K 2 -Quantization Binary).Key | Should -Be 'near'
    }
}

Describe 'Search-Vector -Quantization' {
    It 'finds the exact neighbours with <Quantization> when every candidate is rescored (<Metric>)' -ForEach @(
        @{ Metric = 'Cosine'; Quantization = 'Int8' }, @{ Metric = 'L2'; Quantization = 'Int8' }, @{ Metric = 'L2'; Quantization = 'Binary' },
        @{ Metric = 'Cosine'; Quantization = 'Int4' }, @{ Metric = 'L2'; Quantization = 'Int4' }
    ) {
        $query = New-TestVector -Dimension $Dimension -Random (New-TestRandom 77)
        $exact = Search-Vector $Shards[$Metric] -Query $query -K 5
        $quantized = Search-Vector $Shards[$Metric] -Query $query -K 5 -Quantization $Quantization -Oversample 100

        @($quantized.Key) | Should -Be @($exact.Key)
        Assert-MatchesReference $quantized (Get-ReferenceNeighbour -Rows $Rows -Query $query -Metric $Metric -K 5)
    }

    It 'rescores 20 candidates per neighbour for Binary unless -Oversample says otherwise' {
        # The nearest vector has every small component's sign flipped, so the sign-bit prescan ranks it last
        # of 16 (after 15 far vectors with the query's signs): only 16 or more candidates per neighbour reach it.
        $shard = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 8 -Metric Cosine
        Add-Vector $shard -Vector @(1, -0.01, -0.01, -0.01, -0.01, -0.01, -0.01, -0.01) -Key target
        foreach ($i in 1..15) { Add-Vector $shard -Vector @(0.001, 1, 1, 1, 1, 1, 1, (1 + $i / 100)) -Key "far$i" }
        $query = 1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01

        (Search-Vector $shard -Query $query -K 1).Key | Should -Be 'target'
        (Search-Vector $shard -Query $query -K 1 -Quantization Binary).Key | Should -Be 'target'
        (Search-Vector $shard -Query $query -K 1 -Quantization Binary -Oversample 4).Key | Should -BeLike 'far*'
    }

    It 'rejects -Oversample 0' {
        { Search-Vector $Shards.L2 -Query (New-TestVector -Dimension $Dimension) -Quantization Int8 -Oversample 0 } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,VectorShard.PowerShell.Commands.SearchVectorCommand'
    }
}

Describe 'Search-Vector distances for orthogonal vectors' {
    AfterAll { Remove-TestShard }

    It 'reports +0, not -0, under Dot' {
        $shard = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2 -Metric Dot
        Add-Vector $shard -Vector 0, 1 -Key up
        $result = Search-Vector $shard -Query 1, 0 -K 1
        [BitConverter]::SingleToInt32Bits($result.Distance) | Should -Be 0
        ($result | Out-String) | Should -Not -Match '-0\.0'
    }
}

Describe 'Search-Vector across several shards' {
    BeforeAll {
        $script:Folder = Join-Path $TestDrive 'many'
        New-Item -ItemType Directory -Path $Folder | Out-Null
        $script:Parts = foreach ($part in 1..3) {
            $path = Join-Path $Folder "part$part.vshard"
            $script:TestShardPaths.Add($path)
            $shard = New-VectorShard -Path $path -Dimension 2 -Metric L2
            Add-Vector $shard -Vector $part, 0 -Key "p$part-a"
            Add-Vector $shard -Vector ($part + 0.5), 0 -Key "p$part-b"
            $shard
        }
    }
    AfterAll { Remove-TestShard }

    It 'gives one global top-K over shards matched by a wildcard, each result naming its shard' {
        $results = Search-Vector -Shard (Join-Path $Folder '*.vshard') -Query 1.6, 0 -K 3

        $results.Key | Should -Be @('p1-b', 'p2-a', 'p1-a')
        $results | ForEach-Object Rank | Should -Be @(1, 2, 3)
        $results[1].ShardPath | Should -Be $Parts[1].Path
    }

    It 'takes an array of shard objects' {
        $results = Search-Vector -Shard $Parts[0], $Parts[2] -Query 3.4, 0 -K 2
        $results.Key | Should -Be @('p3-b', 'p3-a')
    }

    It 'refuses shards of different metrics (IncompatibleShards)' {
        $cosine = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 2 -Metric Cosine
        Add-Vector $cosine -Vector 1, 0
        $err = Get-TerminatingError { Search-Vector -Shard $Parts[0], $cosine -Query 1, 0 -ErrorAction Stop }
        Assert-ShardError $err -ErrorId IncompatibleShards -Category InvalidArgument
    }

    It 'reports a wildcard that matches no shard (ShardNotFound)' {
        $err = Get-TerminatingError { Search-Vector -Shard (Join-Path $Folder 'none*.vshard') -Query 1, 0 }
        Assert-ShardError $err -ErrorId ShardNotFound -Category ObjectNotFound
    }
}
