using System.Management.Automation;
using Microsoft.Data.Sqlite;

namespace OtherSqliteModule;

/// <summary>
/// Get-OtherSqliteVersion: opens an in-memory SQLite database with this module's own Microsoft.Data.Sqlite
/// and reports the SQLite and Microsoft.Data.Sqlite versions it got, and the load context they came from.
/// </summary>
[Cmdlet(VerbsCommon.Get, "OtherSqliteVersion")]
public sealed class GetOtherSqliteVersionCommand : PSCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select sqlite_version()";
        var sqliteVersion = (string)command.ExecuteScalar()!;

        var assembly = typeof(SqliteConnection).Assembly;
        var result = new PSObject();
        result.Properties.Add(new PSNoteProperty("SqliteVersion", sqliteVersion));
        result.Properties.Add(new PSNoteProperty("DataSqliteVersion", assembly.GetName().Version!.ToString()));
        result.Properties.Add(new PSNoteProperty("DataSqliteLocation", assembly.Location));
        result.Properties.Add(new PSNoteProperty("LoadContext",
            System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly)?.Name));
        WriteObject(result);
    }
}
