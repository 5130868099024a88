namespace RedisSessions.Deploy.Tests.Infrastructure;

/// <summary>Paths in the repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding RedisSessions.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

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
