@{
    # Test fixture: see OtherSqliteModule.csproj.
    RootModule           = 'OtherSqliteModule.dll'
    ModuleVersion        = '1.0.0'
    GUID                 = '5b0f3c6e-2d7a-4f53-9a55-1f3a0e6b7c21'
    Author               = 'VectorShard tests'
    Description          = 'Test fixture: a naive module carrying Microsoft.Data.Sqlite 8.0.x in the default load context.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    CmdletsToExport      = @('Get-OtherSqliteVersion')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
}
