namespace RedisSessions.Browser.Tests.Infrastructure;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding RedisSessions.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this test assembly was built in (the farm's programs were built in the same one).</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "RedisSessions.sln")))
            {
                return folder.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No RedisSessions.sln above {AppContext.BaseDirectory}");
    }
}
