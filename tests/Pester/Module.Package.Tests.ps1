BeforeAll {
    $script:ModulePath = $env:VECTORSHARD_MODULE ?? (Join-Path $PSScriptRoot '../../out/VectorShard')
    # (This file tests the module that build.ps1 Package builds into $TestDrive, not $ModulePath.)

    . $PSScriptRoot/ChildPwsh.ps1

    # A module's files by relative path with '/' separators, as they appear in a .nupkg.
    function Get-RelativeFile([string] $Root) {
        $rootFull = [IO.Path]::GetFullPath($Root)
        Get-ChildItem -LiteralPath $rootFull -Recurse -File |
            ForEach-Object { [IO.Path]::GetRelativePath($rootFull, $_.FullName).Replace('\', '/') } | Sort-Object
    }

    $script:ShippedRuntimes = 'win-x64', 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64'
    $script:Manifest = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../../VectorShard.psd1')
    $script:Version = $Manifest.ModuleVersion

    # Build the package as a user would: build.ps1 Package, into this test's drive.
    $script:BuildOut = Join-Path $TestDrive 'build'
    $build = Invoke-ChildPwsh @'
$started = [Diagnostics.Stopwatch]::StartNew()
& $BuildScript Package -OutputPath $BuildOut | Out-Host
Write-Result @{ Seconds = $started.Elapsed.TotalSeconds }
'@ -Variables @{ BuildScript = (Join-Path $PSScriptRoot '../../build.ps1'); BuildOut = $BuildOut }
    if ($build.ExitCode -ne 0) { throw "build.ps1 Package failed (exit code $($build.ExitCode)):`n$($build.Output)" }
    $script:PackageSeconds = $build.Result.Seconds
    Write-Host ('build.ps1 Package took {0:N1} s' -f $PackageSeconds)

    $script:Packages = @(Get-ChildItem (Join-Path $BuildOut 'packages') -Filter *.nupkg)
    $script:Package = $Packages | Select-Object -First 1
    $script:BuiltModule = Join-Path $BuildOut 'VectorShard'

    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [IO.Compression.ZipFile]::OpenRead($Package.FullName)
    try {
        $script:Entries = @($zip.Entries | ForEach-Object { [Uri]::UnescapeDataString($_.FullName) })
        $nuspecEntry = $zip.Entries | Where-Object FullName -EQ 'VectorShard.nuspec'
        $reader = [IO.StreamReader]::new($nuspecEntry.Open())
        try { $script:Nuspec = ([xml]$reader.ReadToEnd()).package.metadata } finally { $reader.Dispose() }
    }
    finally { $zip.Dispose() }
    # What a package adds around the module's own files.
    $script:ModuleEntries = @($Entries | Where-Object {
            $_ -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|VectorShard\.nuspec$)' } | Sort-Object)
}

<#
    The package `build.ps1 Package` writes is a PowerShell module package like a PSGallery one: it holds
    the whole module (cmdlets, types, Core and its packages under deps/, the native SQLite of every shipped
    runtime), a folder repository serves it to Find-/Save-PSResource, and the saved module imports and
    works. The test builds the package itself (build.ps1 Package -OutputPath into $TestDrive), and runs
    everything that registers a repository or loads the module in a child pwsh.
#>

Describe 'build.ps1 Package' {
    It 'writes one VectorShard.{version}.nupkg into {OutputPath}/packages' {
        $Packages.Count | Should -Be 1
        $Package.Name | Should -Be "VectorShard.$Version.nupkg"
    }

    It 'packages the manifest, the cmdlets, the public types and the format file at the top' {
        foreach ($file in 'VectorShard.psd1', 'VectorShard.PowerShell.dll', 'VectorShard.Types.dll', 'VectorShard.format.ps1xml') {
            $ModuleEntries | Should -Contain $file
        }
    }

    It 'packages Core and its packages under deps/' {
        foreach ($file in 'VectorShard.Core.dll', 'Microsoft.Data.Sqlite.dll', 'SQLitePCLRaw.core.dll', 'SQLitePCLRaw.provider.e_sqlite3.dll', 'System.Numerics.Tensors.dll') {
            $ModuleEntries | Should -Contain "deps/$file"
        }
    }

    It 'packages the native SQLite for <_>' -ForEach 'win-x64', 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64' {
        $rid = $_
        @($ModuleEntries | Where-Object { $_ -like "deps/runtimes/$rid/native/*e_sqlite3*" }).Count | Should -Be 1
    }

    It 'packages no other runtime, no symbols or deps.json, and the public types only once' {
        $runtimes = $ModuleEntries | Where-Object { $_ -like 'deps/runtimes/*' } | ForEach-Object { ($_ -split '/')[2] } | Sort-Object -Unique
        $runtimes | Should -Be ($ShippedRuntimes | Sort-Object)
        $ModuleEntries | Where-Object { $_ -like '*.pdb' -or $_ -like '*.deps.json' } | Should -BeNullOrEmpty
        $ModuleEntries | Where-Object { $_ -like '*/VectorShard.Types.dll' } | Should -BeNullOrEmpty -Because 'a second copy would be a second [VectorShard.SearchResult]'
        # The cmdlet assembly must not carry Core's packages beside it: they load from deps/ only.
        $ModuleEntries | Where-Object { $_ -notlike '*/*' -and $_ -like 'Microsoft.Data.Sqlite*' } | Should -BeNullOrEmpty
    }

    It 'packages exactly the module folder the build made' {
        $ModuleEntries | Should -Be @(Get-RelativeFile $BuiltModule)
    }

    It 'describes the module as a PowerShell gallery expects' {
        $Nuspec.id | Should -Be 'VectorShard'
        $Nuspec.version | Should -Be $Version
        $Nuspec.description | Should -Be $Manifest.Description
        $Nuspec.authors | Should -Be $Manifest.Author
        $tags = $Nuspec.tags -split '\s+'
        $tags | Should -Contain 'PSModule'
        $tags | Should -Contain 'PSEdition_Core'
    }
}

Describe 'Installing from a repository that holds the package' {
    BeforeAll {
        $repositoryFolder = Join-Path $TestDrive 'repository'
        $script:Saved = Join-Path $TestDrive 'saved modules'
        New-Item $repositoryFolder, $Saved -ItemType Directory | Out-Null
        Copy-Item $Package.FullName $repositoryFolder

        # A private repository name, registered and unregistered in the child, so the user's list of
        # repositories is as it was even when the save fails.
        $script:SaveRun = Invoke-ChildPwsh @'
$name = "VectorShardTest-$PID-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
Register-PSResourceRepository -Name $name -Uri $RepositoryFolder -Trusted
try {
    $found = Find-PSResource -Name VectorShard -Repository $name
    $saved = Save-PSResource -Name VectorShard -Repository $name -Path $Saved -TrustRepository -PassThru
}
finally { Unregister-PSResourceRepository -Name $name }
Write-Result @{
    FoundName    = $found.Name
    FoundVersion = $found.Version.ToString()
    FoundType    = $found.Type.ToString()
    SavedVersion = $saved.Version.ToString()
    Left         = @(Get-PSResourceRepository | Where-Object Name -EQ $name).Count
}
'@ -Variables @{ RepositoryFolder = $repositoryFolder; Saved = $Saved }
        $script:SavedModule = Join-Path $Saved "VectorShard/$Version"
    }

    It 'finds and saves VectorShard from the repository' {
        $SaveRun.ExitCode | Should -Be 0 -Because $SaveRun.Output
        $SaveRun.Result.FoundName | Should -Be 'VectorShard'
        $SaveRun.Result.FoundVersion | Should -Be $Version
        $SaveRun.Result.FoundType | Should -Be 'Module'
        $SaveRun.Result.SavedVersion | Should -Be $Version
        $SaveRun.Result.Left | Should -Be 0
    }

    It 'saves into {name}/{version} the same files the build made' {
        Test-Path (Join-Path $SavedModule 'VectorShard.psd1') | Should -BeTrue
        @(Get-RelativeFile $SavedModule) | Should -Be @(Get-RelativeFile $BuiltModule)
    }

    It 'saves a manifest that passes Test-ModuleManifest' {
        $run = Invoke-ChildPwsh @'
$info = Test-ModuleManifest -Path (Join-Path $SavedModule 'VectorShard.psd1')
Write-Result @{ Name = $info.Name; Version = $info.Version.ToString(); RootModule = $info.RootModule; Cmdlets = @($info.ExportedCmdlets.Keys | Sort-Object) }
'@ -Variables @{ SavedModule = $SavedModule }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Name | Should -Be 'VectorShard'
        $run.Result.Version | Should -Be $Version
        $run.Result.RootModule | Should -Be 'VectorShard.PowerShell.dll'
        $run.Result.Cmdlets | Should -Be @($Manifest.CmdletsToExport | Sort-Object)
    }

    It 'imports the saved module <how> and adds and searches' -ForEach @(
        @{ How = 'by name from PSModulePath'; Import = '$env:PSModulePath = $Saved + [IO.Path]::PathSeparator + $env:PSModulePath; Import-Module VectorShard -RequiredVersion $Version' }
        @{ How = 'by the path of its folder (which holds the version folder)'; Import = 'Import-Module (Join-Path $Saved VectorShard)' }
        @{ How = 'by the path of its manifest'; Import = 'Import-Module (Join-Path $SavedModule VectorShard.psd1)' }
    ) {
        $run = Invoke-ChildPwsh ($Import + "`n" + @'
$path = Join-Path $Saved 'saved shard.vshard'
$shard = New-VectorShard -Path $path -Dimension 3 -Force
@(
    [pscustomobject]@{ Key = 'a'; Vector = [float[]](1, 0, 0); Metadata = @{ topic = 'x' } }
    [pscustomobject]@{ Key = 'b'; Vector = [float[]](0, 1, 0); Metadata = @{ topic = 'y' } }
    [pscustomobject]@{ Key = 'c'; Vector = [float[]](0.8, 0.6, 0); Metadata = @{ topic = 'y' } }
) | Add-Vector -Shard $shard
$hits = @(Search-Vector -Shard $shard -Query ([float[]](0.9, 0.1, 0)) -K 2)
$filtered = @(Search-Vector -Shard $shard -Query ([float[]](0.9, 0.1, 0)) -K 1 -Filter @{ topic = 'y' })
Remove-VectorShard $path -Confirm:$false
Write-Result @{
    Nearest    = $hits.Key -join ','
    Filtered   = $filtered.Key -join ','
    Typed      = $hits[0] -is [VectorShard.SearchResult]
    ModuleBase = (Get-Module VectorShard).ModuleBase
    Version    = (Get-Module VectorShard).Version.ToString()
}
'@) -Variables @{ Saved = $Saved; SavedModule = $SavedModule; Version = $Version }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Nearest | Should -Be 'a,c'
        $run.Result.Filtered | Should -Be 'c'
        $run.Result.Typed | Should -BeTrue
        $run.Result.ModuleBase | Should -Be ([IO.Path]::GetFullPath($SavedModule))
        $run.Result.Version | Should -Be $Version
    }
}
