@{
    RootModule           = 'VectorShard.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = 'c0a74744-e21d-487a-9f7c-45440842d01b'
    Author               = 'VectorShard contributors'
    CompanyName          = 'VectorShard'
    Copyright            = '(c) VectorShard contributors. MIT License.'
    Description          = 'A vector database on SQLite: store embeddings with metadata in shard files and find exact nearest neighbours (cosine, L2, dot) from the PowerShell pipeline.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # The public types (shard info, results, records) load with the module, so they can be named at once.
    RequiredAssemblies   = @('VectorShard.Types.dll')
    FormatsToProcess     = @('VectorShard.format.ps1xml')
    CmdletsToExport      = @(
        'New-VectorShard'
        'Get-VectorShard'
        'Set-ShardProfile'
        'Remove-VectorShard'
        'Add-Vector'
        'Get-Vector'
        'Remove-Vector'
        'Search-Vector'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('vector', 'database', 'sqlite', 'embeddings', 'similarity-search', 'knn', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'Foundation: shards, profiles, Add/Get/Remove/Search-Vector.'
        }
    }
}
