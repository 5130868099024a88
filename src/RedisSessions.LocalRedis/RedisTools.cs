using System.Diagnostics;

namespace RedisSessions.LocalRedis;

/// <summary>Finds <c>redis-server</c>, <c>redis-cli</c> and <c>deploy/redis.conf</c>.</summary>
public static class RedisTools
{
    private static readonly Lazy<string> Server = new(() => Find("redis-server", "REDIS_SERVER"));
    private static readonly Lazy<string> Cli = new(() => Find("redis-cli", "REDIS_CLI"));
    private static readonly Lazy<string> Config = new(FindConfig);

    /// <summary>Path of redis-server (REDIS_SERVER, else PATH).</summary>
    public static string ServerPath => Server.Value;

    /// <summary>Path of redis-cli (REDIS_CLI, else PATH).</summary>
    public static string CliPath => Cli.Value;

    /// <summary>Path of deploy/redis.conf (REDIS_SESSIONS_REDIS_CONF, else found above the current directory or the app).</summary>
    public static string ConfigFile => Config.Value;

    /// <summary>Runs redis-cli and returns its standard output.</summary>
    public static async Task<string> RunCliAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(CliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return output;
    }

    private static string Find(string name, string variable)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"{variable} points to {configured}, which does not exist.");
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"{name} was not found on PATH. Install it with: sudo apt-get install -y redis-server redis-tools (the repository's .ci/install-redis does this).");
    }

    private static string FindConfig()
    {
        var configured = Environment.GetEnvironmentVariable("REDIS_SESSIONS_REDIS_CONF");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "deploy", "redis.conf");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new FileNotFoundException("deploy/redis.conf was not found above the current directory; set REDIS_SESSIONS_REDIS_CONF.");
    }
}
