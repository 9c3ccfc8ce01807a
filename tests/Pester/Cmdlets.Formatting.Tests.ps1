BeforeAll {
    . $PSScriptRoot/TestSupport.ps1

    $script:Shard = New-TestShard -Dimension 2 -Metric L2
    Add-Vector $Shard -Vector 3, 4 -Key 'doc-one' -Metadata @{ topic = 'sql' }
    Add-Vector $Shard -Vector 6, 8
    $script:KeylessId = (Get-Vector -Shard $Shard | Where-Object { $null -eq $_.Key }).Id
}
AfterAll { Remove-TestShard }

Describe 'Format views' {
    It 'shows search results as a table with Query, Rank, Key, Distance and Metadata' {
        $text = Search-Vector $Shard -Query 0, 0 -K 2 | Out-String -Width 200

        $header = ($text -split "`r?`n" | Where-Object { $_ -match '\S' })[0]
        $header | Should -Match '^\s*Query\s+Rank\s+Key\s+Distance\s+Metadata\s*$'
        $text | Should -Match 'doc-one\s+5[.,]000000'
        $text | Should -Match '\{"topic":"sql"\}'
    }

    It 'shows #<id> for a result without a key' {
        $text = Search-Vector $Shard -Query 6, 8 -K 1 | Out-String -Width 200
        $text | Should -Match "#$KeylessId\s+0[.,]000000"
    }

    It 'shows a shard as a list with Journal, Cache and Checkpoint lines' {
        $text = Get-VectorShard $Shard.Path | Out-String -Width 200

        $text | Should -Match 'Journal\s*:\s*wal, synchronous NORMAL, locking NORMAL'
        $text | Should -Match 'Cache\s*:\s*16.384 KiB cache, 256 MB mmap, page 4096'
        $text | Should -Match 'Checkpoint\s*:\s*every 1000 pages, temp store DEFAULT, secure delete False'
        $text | Should -Match 'Dimension\s*:\s*2'
        $text | Should -Match 'Metric\s*:\s*L2'
        $text | Should -Match 'Precision\s*:\s*Float32'
        $text | Should -Match 'Count\s*:\s*2'
        $text | Should -Match 'Size\s*:\s*[\d.,]+ MB'
        $text | Should -Match 'Indexes\s*:\s*idx_vectors_confidence, idx_vectors_created_norm, idx_vectors_norm'
    }

    It 'shows the shard New-VectorShard emits with the same view' {
        $text = New-VectorShard -InMemory -Name (New-TestMemoryName) -Dimension 3 | Out-String
        $text | Should -Match 'Journal\s*:\s*memory, synchronous OFF, locking EXCLUSIVE'
        $text | Should -Match '(?m)^Indexes\s*:\s*idx_vectors_created_norm\s*$'
    }

    It 'shows vector records as a table with Id, Key, Dim, Norm, Version and Metadata' {
        $text = Get-Vector -Shard $Shard -Key 'doc-one' | Out-String -Width 200

        $header = ($text -split "`r?`n" | Where-Object { $_ -match '\S' })[0]
        $header | Should -Match '^\s*Id\s+Key\s+Dim\s+Norm\s+Version\s+Metadata\s*$'
        $text | Should -Match 'doc-one\s+2\s+5[.,]0000\s+1\s+\{"topic":"sql"\}'
    }
}
