namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>Where the programs the tests start are built (the test project builds them; same configuration).</summary>
public static class Programs
{
    private static readonly string Configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    private static string Root => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    public static string TestNode => Find(Path.Combine(Root, "tests", "RedisSessions.TestNode", "bin", Configuration, "net10.0", "RedisSessions.TestNode.dll"));

    public static string Worker => Find(Path.Combine(Root, "src", "RedisSessions.Worker", "bin", Configuration, "net10.0", "RedisSessions.Worker.dll"));

    private static string Find(string path) => File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the farm tests start this program as a process.", path);
}
