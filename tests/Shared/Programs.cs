namespace RedisSessions.Testing;

/// <summary>Where the programs the tests start as OS processes are built. A test project builds the ones it starts
/// (ProjectReference with ReferenceOutputAssembly=false), in the same configuration as itself.</summary>
public static class Programs
{
    private static readonly string Configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The repository root (the test assembly runs from tests/&lt;project&gt;/bin/&lt;configuration&gt;/net10.0/).</summary>
    private static string Root => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>tests/RedisSessions.TestNode.</summary>
    public static string TestNode => Find("tests", "RedisSessions.TestNode");

    /// <summary>src/RedisSessions.Worker.</summary>
    public static string Worker => Find("src", "RedisSessions.Worker");

    /// <summary>src/RedisSessions.Cli.</summary>
    public static string Cli => Find("src", "RedisSessions.Cli");

    private static string Find(string folder, string project)
    {
        // A build for another StackExchange.Redis puts every project under artifacts/se-redis-{version}/bin/{project}/
        // (Directory.Build.props): the program then sits beside this test project's own folder.
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var binFolder = baseDirectory.Parent?.Parent?.Parent;
        var path = binFolder is { Name: "bin" } && binFolder.Parent?.Name.StartsWith("se-redis-", StringComparison.Ordinal) == true
            ? Path.Combine(binFolder.FullName, project, Configuration, "net10.0", project + ".dll")
            : Path.Combine(Root, folder, project, "bin", Configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {folder}/{project} first (the test project's build does): the tests start it as a process.", path);
    }
}
