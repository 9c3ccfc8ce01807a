BeforeAll {
    $script:ModulePath = $env:VECTORSHARD_MODULE ?? (Join-Path $PSScriptRoot '../../out/VectorShard')
    $script:ModulePath = (Resolve-Path $script:ModulePath).ProviderPath

    . $PSScriptRoot/ChildPwsh.ps1

    # Child-side helpers: uses VectorShard end to end (create, add with metadata, search, filtered search)
    # and the other module; both report what they saw.
    $script:ChildHelpers = @'
function Test-VectorShard([string] $Path) {
    $shard = New-VectorShard -Path $Path -Dimension 3 -Metric Cosine -Force
    @(
        [pscustomobject]@{ Key = 'a'; Vector = [float[]](1, 0, 0); Metadata = @{ topic = 'x' } }
        [pscustomobject]@{ Key = 'b'; Vector = [float[]](0, 1, 0); Metadata = @{ topic = 'y' } }
        [pscustomobject]@{ Key = 'c'; Vector = [float[]](0.8, 0.6, 0); Metadata = @{ topic = 'y' } }
    ) | Add-Vector -Shard $shard
    [pscustomobject]@{
        Nearest  = (@(Search-Vector -Shard $shard -Query ([float[]](0.9, 0.1, 0)) -K 2).Key -join ',')
        Filtered = (@(Search-Vector -Shard $Path -Query ([float[]](0.9, 0.1, 0)) -K 1 -Filter @{ topic = 'y' }).Key -join ',')
        Count    = (Get-VectorShard -Path $Path).Count
    }
}
function Test-OtherModule { Get-OtherSqliteVersion | Select-Object SqliteVersion, DataSqliteVersion, LoadContext }
'@

    $script:ExpectedShard = @{ Nearest = 'a,c'; Filtered = 'c'; Count = 3 }
    $script:OurDataSqliteVersion = [Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModulePath 'deps/Microsoft.Data.Sqlite.dll')).Version

    # The naive other module: published for this machine's RID so that its e_sqlite3 lands beside its DLLs
    # (as a module author who never thought of load contexts would ship it). Built from a copy, so the
    # source tree stays clean; NuGet's cache makes the restore quick after the first run.
    $fixtureSource = Join-Path $PSScriptRoot '../Fixtures/OtherSqliteModule'
    $fixtureCopy = Join-Path $TestDrive 'OtherSqliteModule-src'
    New-Item $fixtureCopy -ItemType Directory | Out-Null
    Get-ChildItem $fixtureSource -File | Copy-Item -Destination $fixtureCopy
    $script:OtherModulePath = Join-Path $TestDrive 'OtherSqliteModule'
    $rid = [Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    $started = [Diagnostics.Stopwatch]::StartNew()
    $publish = & dotnet publish $fixtureCopy -c Release -r $rid --self-contained false -o $OtherModulePath --nologo -v quiet 2>&1
    if ($LASTEXITCODE -ne 0) { throw "Publishing the OtherSqliteModule fixture failed:`n$($publish -join "`n")" }
    Write-Host ('OtherSqliteModule fixture published for {0} in {1:N1} s' -f $rid, $started.Elapsed.TotalSeconds)

    # Full paths with this OS's separators, to compare with Assembly.Location and ModuleBase.
    function Get-FullPath([string] $Path, [string] $Child) { [IO.Path]::GetFullPath((Join-Path $Path $Child)) }
}

<#
    The module's dependencies (VectorShard.Core, Microsoft.Data.Sqlite, SQLitePCLRaw, the native e_sqlite3)
    load in a private AssemblyLoadContext, so another module that carries its own Microsoft.Data.Sqlite in
    the DEFAULT context (tests/Fixtures/OtherSqliteModule: 8.0.x, a naive module) does not break it, in
    either import order. Every test runs in a fresh child pwsh: load contexts never unload, so a process
    that has loaded one module is no place to test another import order.
#>

Describe 'Another module with a different Microsoft.Data.Sqlite in the same session' {
    It 'both work when <Name>' -ForEach @(
        @{
            Name  = 'the other module is imported and used first'
            Steps = @'
$other1 = Test-OtherModule
Import-Module $ModulePath
$shard1 = Test-VectorShard (Join-Path $ShardDir 'one.vshard')
$other2 = Test-OtherModule
$shard2 = Test-VectorShard (Join-Path $ShardDir 'two.vshard')
'@
        }
        @{
            Name  = 'VectorShard is imported and used first'
            Steps = @'
Import-Module $ModulePath
$shard1 = Test-VectorShard (Join-Path $ShardDir 'one.vshard')
$other1 = Test-OtherModule
$shard2 = Test-VectorShard (Join-Path $ShardDir 'two.vshard')
$other2 = Test-OtherModule
'@
        }
        @{
            Name  = 'both are imported before either is used, VectorShard used first'
            Steps = @'
Import-Module $ModulePath
Import-Module $OtherModulePath
$shard1 = Test-VectorShard (Join-Path $ShardDir 'one.vshard')
$other1 = Test-OtherModule
$other2 = Test-OtherModule
$shard2 = Test-VectorShard (Join-Path $ShardDir 'two.vshard')
'@
        }
        @{
            Name  = 'both are imported before either is used, the other module used first'
            Steps = @'
Import-Module $OtherModulePath
Import-Module $ModulePath
$other1 = Test-OtherModule
$shard1 = Test-VectorShard (Join-Path $ShardDir 'one.vshard')
$shard2 = Test-VectorShard (Join-Path $ShardDir 'two.vshard')
$other2 = Test-OtherModule
'@
        }
    ) {
        $shardDir = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item $shardDir -ItemType Directory | Out-Null
        # The other module is auto-loaded by its cmdlet where a case does not import it.
        $script = $ChildHelpers + "`n" + '$env:PSModulePath = (Split-Path $OtherModulePath) + [IO.Path]::PathSeparator + $env:PSModulePath' + "`n" + $Steps + "`n" +
            'Write-Result @{ Shard1 = $shard1; Shard2 = $shard2; Other1 = $other1; Other2 = $other2 }'
        $run = Invoke-ChildPwsh $script -Variables @{ ModulePath = $ModulePath; OtherModulePath = $OtherModulePath; ShardDir = $shardDir }

        $run.ExitCode | Should -Be 0 -Because $run.Output
        foreach ($shard in $run.Result.Shard1, $run.Result.Shard2) {
            $shard.Nearest | Should -Be $ExpectedShard.Nearest -Because $run.Output
            $shard.Filtered | Should -Be $ExpectedShard.Filtered
            $shard.Count | Should -Be $ExpectedShard.Count
        }
        foreach ($other in $run.Result.Other1, $run.Result.Other2) {
            # The other module keeps its own 8.0.x, from the default context, with a working native SQLite.
            $other.DataSqliteVersion | Should -BeLike '8.0.*' -Because $run.Output
            $other.LoadContext | Should -Be 'Default'
            $other.SqliteVersion | Should -Match '^3\.\d+\.\d+$'
        }
    }
}

Describe 'Load contexts' {
    BeforeAll {
        $script = $ChildHelpers + "`n" + @'
Import-Module $ModulePath
$shard = Test-VectorShard (Join-Path $ShardDir 'ctx.vshard')
Import-Module $OtherModulePath
$other = Test-OtherModule
$hit = Search-Vector -Shard (Join-Path $ShardDir 'ctx.vshard') -Query ([float[]](1, 0, 0)) -K 1

$contexts = foreach ($context in [System.Runtime.Loader.AssemblyLoadContext]::All) {
    foreach ($assembly in $context.Assemblies) {
        $name = $assembly.GetName()
        if ($name.Name -match '^(VectorShard|Microsoft\.Data\.Sqlite|SQLitePCLRaw|System\.Numerics\.Tensors|OtherSqliteModule)') {
            [pscustomobject]@{
                Assembly  = $name.Name
                Version   = $name.Version.ToString()
                Context   = $context.Name
                IsDefault = $context -eq [System.Runtime.Loader.AssemblyLoadContext]::Default
                Location  = $assembly.Location
            }
        }
    }
}

# Ask VectorShard's own Microsoft.Data.Sqlite (by reflection: its types are not nameable from here)
# which SQLite it runs on.
$core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VectorShard.Core' }
$private = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core)
$ourSqlite = $private.Assemblies | Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' }
$connection = [Activator]::CreateInstance($ourSqlite.GetType('Microsoft.Data.Sqlite.SqliteConnection'), [object[]]@('Data Source=:memory:'))
$connection.Open()
$command = $connection.CreateCommand()
$command.CommandText = 'select sqlite_version()'
$ourSqliteVersion = $command.ExecuteScalar()
$connection.Dispose()

Write-Result @{
    Shard            = $shard
    Other            = $other
    Contexts         = @($contexts)
    HitIsSearchResult = $hit -is [VectorShard.SearchResult]
    SearchResultType = [VectorShard.SearchResult].AssemblyQualifiedName
    SearchResultContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([VectorShard.SearchResult].Assembly).Name
    ShardInfoContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext([VectorShard.ShardInfo].Assembly).Name
    OurSqliteVersion = $ourSqliteVersion
    NativeSqlite     = if ($IsLinux) { @(Get-Content /proc/self/maps | Where-Object { $_ -match 'e_sqlite3' } | ForEach-Object { ($_ -split '\s+', 6)[5] } | Sort-Object -Unique) } else { @() }
}
'@
        $script:Run = Invoke-ChildPwsh $script -Variables @{ ModulePath = $ModulePath; OtherModulePath = $OtherModulePath; ShardDir = $TestDrive.ToString() }
        $script:Contexts = $Run.Result.Contexts
    }

    It 'runs both modules in one process' {
        $Run.ExitCode | Should -Be 0 -Because $Run.Output
        $Run.Result.Shard.Nearest | Should -Be $ExpectedShard.Nearest
        $Run.Result.Other.DataSqliteVersion | Should -BeLike '8.0.*'
    }

    It 'loads VectorShard.Core and its Microsoft.Data.Sqlite in a private, non-default context' {
        $core = @($Contexts | Where-Object Assembly -EQ 'VectorShard.Core')
        $core.Count | Should -Be 1 -Because ($Contexts | Out-String)
        $core[0].IsDefault | Should -BeFalse
        $ours = @($Contexts | Where-Object { $_.Assembly -eq 'Microsoft.Data.Sqlite' -and $_.Context -eq $core[0].Context })
        $ours.Count | Should -Be 1 -Because ($Contexts | Out-String)
        $ours[0].IsDefault | Should -BeFalse
        $ours[0].Version | Should -Be $OurDataSqliteVersion.ToString()
        $ours[0].Location | Should -Be (Get-FullPath $ModulePath 'deps/Microsoft.Data.Sqlite.dll')
        foreach ($package in 'SQLitePCLRaw.core', 'SQLitePCLRaw.provider.e_sqlite3', 'System.Numerics.Tensors') {
            $copy = @($Contexts | Where-Object { $_.Assembly -eq $package -and $_.Context -eq $core[0].Context })
            $copy.Count | Should -Be 1 -Because "$package should come from the module's deps/ folder"
            $copy[0].Location | Should -BeLike (Get-FullPath $ModulePath 'deps/*')
        }
    }

    It "leaves the other module's Microsoft.Data.Sqlite 8.0.x alone in the default context" {
        $theirs = @($Contexts | Where-Object { $_.Assembly -eq 'Microsoft.Data.Sqlite' -and $_.IsDefault })
        $theirs.Count | Should -Be 1 -Because ($Contexts | Out-String)
        $theirs[0].Version | Should -BeLike '8.0.*'
        $theirs[0].Location | Should -BeLike (Join-Path $OtherModulePath '*')
        @($Contexts | Where-Object Assembly -EQ 'Microsoft.Data.Sqlite').Count | Should -Be 2
    }

    It 'loads VectorShard.Types and the cmdlets once, in the default context, so the types can be named' {
        $Run.Result.HitIsSearchResult | Should -BeTrue
        $Run.Result.SearchResultContext | Should -Be 'Default'
        $Run.Result.ShardInfoContext | Should -Be 'Default'
        $types = @($Contexts | Where-Object Assembly -EQ 'VectorShard.Types')
        $types.Count | Should -Be 1 -Because 'a second copy in the private context would make two different [VectorShard.SearchResult] types'
        $types[0].IsDefault | Should -BeTrue
        $cmdlets = @($Contexts | Where-Object Assembly -EQ 'VectorShard.PowerShell')
        $cmdlets.Count | Should -Be 1
        $cmdlets[0].IsDefault | Should -BeTrue
    }

    It "runs VectorShard on its own native SQLite from deps/runtimes" {
        $Run.Result.OurSqliteVersion | Should -Match '^3\.\d+\.\d+$'
        if ($IsLinux) {
            $rid = [Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
            $Run.Result.NativeSqlite | Should -Contain (Get-FullPath $ModulePath "deps/runtimes/$rid/native/libe_sqlite3.so")
            $Run.Result.NativeSqlite | Should -Contain (Join-Path $OtherModulePath 'libe_sqlite3.so')
        }
    }
}

Describe 'Importing from an unusual location' {
    BeforeAll {
        # A copy of the module under a folder name with spaces and non-ASCII letters, as users' Documents
        # folders often have ('C:\Users\Zoë Müller\Documents\PowerShell\Modules').
        $script:CopyParents = @{}
        foreach ($parent in 'my modules', 'Zoë Müller modules') {
            $target = Join-Path $TestDrive $parent
            New-Item $target -ItemType Directory | Out-Null
            Copy-Item $ModulePath (Join-Path $target 'VectorShard') -Recurse
            $script:CopyParents[$parent] = $target
        }
    }

    It 'imports by path from "<Parent>" and loads the native SQLite' -ForEach @(
        @{ Parent = 'my modules' }
        @{ Parent = 'Zoë Müller modules' }
    ) {
        $copy = Join-Path $CopyParents[$Parent] 'VectorShard'
        $script = $ChildHelpers + "`n" + @'
Import-Module $CopyPath
Write-Result @{ Shard = Test-VectorShard (Join-Path $CopyPath '../shard data.vshard'); ModuleBase = (Get-Module VectorShard).ModuleBase }
'@
        $run = Invoke-ChildPwsh $script -Variables @{ CopyPath = $copy }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Shard.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.ModuleBase | Should -Be $copy
    }

    It 'imports by name from "<Parent>" on PSModulePath' -ForEach @(
        @{ Parent = 'my modules' }
        @{ Parent = 'Zoë Müller modules' }
    ) {
        $parentPath = $CopyParents[$Parent]
        $script = $ChildHelpers + "`n" + @'
$env:PSModulePath = $ParentPath + [IO.Path]::PathSeparator + $env:PSModulePath
$available = @(Get-Module -ListAvailable VectorShard)
Import-Module VectorShard
Write-Result @{
    Shard      = Test-VectorShard (Join-Path $ParentPath 'by name.vshard')
    ModuleBase = (Get-Module VectorShard).ModuleBase
    Available  = @($available.ModuleBase)
}
'@
        $run = Invoke-ChildPwsh $script -Variables @{ ParentPath = $parentPath }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Shard.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.ModuleBase | Should -Be (Join-Path $parentPath 'VectorShard')
        $run.Result.Available | Should -Contain (Join-Path $parentPath 'VectorShard')
    }

    It 'auto-loads on first use of a cmdlet from PSModulePath' {
        $parentPath = $CopyParents['my modules']
        $script = $ChildHelpers + "`n" + @'
$env:PSModulePath = $ParentPath + [IO.Path]::PathSeparator + $env:PSModulePath
$command = Get-Command Search-Vector
Write-Result @{
    Source     = $command.Source
    Shard      = Test-VectorShard (Join-Path $ParentPath 'auto.vshard')
    ModuleBase = (Get-Module VectorShard).ModuleBase
}
'@
        $run = Invoke-ChildPwsh $script -Variables @{ ParentPath = $parentPath }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Source | Should -Be 'VectorShard'
        $run.Result.Shard.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.ModuleBase | Should -Be (Join-Path $parentPath 'VectorShard')
    }
}

Describe 'Remove-Module and Import-Module again in one process' {
    It 'closes the open shards on removal, and works again after re-import' {
        $script = $ChildHelpers + "`n" + @'
$path = Join-Path $ShardDir 'reimport.vshard'
Import-Module $ModulePath
$before = Test-VectorShard $path
$walWhileOpen = Test-Path "$path-wal"
Remove-Module VectorShard
# The connection is closed: WAL mode leaves no -wal file after the last connection closes, no descriptor
# of this process still points at the file (Linux), and the file can be deleted (Windows refuses while open).
$walAfterRemove = Test-Path "$path-wal"
$openHandles = if ($IsLinux) {
    @(Get-ChildItem /proc/self/fd -ErrorAction Ignore | ForEach-Object { $_.LinkTarget } | Where-Object { $_ -like "$path*" })
} else { @() }
Remove-Item "$path*" -Force
$deleted = -not (Test-Path $path)

Import-Module $ModulePath
$after = Test-VectorShard $path
$hit = Search-Vector -Shard $path -Query ([float[]](1, 0, 0)) -K 1
Write-Result @{
    Before         = $before
    After          = $after
    WalWhileOpen   = $walWhileOpen
    WalAfterRemove = $walAfterRemove
    OpenHandles    = @($openHandles)
    Deleted        = $deleted
    Loaded         = @(Get-Module VectorShard).Count
    HitIsTyped     = $hit -is [VectorShard.SearchResult]
}
'@
        $run = Invoke-ChildPwsh $script -Variables @{ ModulePath = $ModulePath; ShardDir = $TestDrive.ToString() }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Before.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.WalWhileOpen | Should -BeTrue -Because 'the Balanced profile keeps a WAL while the shard is open'
        $run.Result.WalAfterRemove | Should -BeFalse -Because 'Remove-Module must close the connection'
        $run.Result.OpenHandles | Should -BeNullOrEmpty
        $run.Result.Deleted | Should -BeTrue
        $run.Result.After.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.After.Count | Should -Be 3
        $run.Result.Loaded | Should -Be 1
        $run.Result.HitIsTyped | Should -BeTrue
    }

    It 'works when the module was removed before any cmdlet had loaded Core' {
        $script = $ChildHelpers + "`n" + @'
Import-Module $ModulePath
Remove-Module VectorShard
Import-Module $ModulePath
Write-Result @{ Shard = Test-VectorShard (Join-Path $ShardDir 'unused.vshard') }
'@
        $run = Invoke-ChildPwsh $script -Variables @{ ModulePath = $ModulePath; ShardDir = $TestDrive.ToString() }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.Shard.Nearest | Should -Be $ExpectedShard.Nearest
    }

    It 'works after Import-Module -Force, with another module present' {
        $script = $ChildHelpers + "`n" + @'
Import-Module $OtherModulePath
$null = Test-OtherModule
Import-Module $ModulePath
$first = Test-VectorShard (Join-Path $ShardDir 'force.vshard')
Import-Module $ModulePath -Force
Remove-Module VectorShard
Import-Module $ModulePath
Write-Result @{ First = $first; Second = Test-VectorShard (Join-Path $ShardDir 'force.vshard'); Other = Test-OtherModule }
'@
        $run = Invoke-ChildPwsh $script -Variables @{ ModulePath = $ModulePath; OtherModulePath = $OtherModulePath; ShardDir = $TestDrive.ToString() }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Result.First.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.Second.Nearest | Should -Be $ExpectedShard.Nearest
        $run.Result.Other.DataSqliteVersion | Should -BeLike '8.0.*'
    }
}
