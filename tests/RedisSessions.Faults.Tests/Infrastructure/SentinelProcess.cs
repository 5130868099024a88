using System.Diagnostics;
using System.Globalization;
using RedisSessions.LocalRedis;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// A private <c>redis-sentinel</c> on a free loopback port, monitoring one primary, with its own config file in its own
/// temporary directory (Sentinel rewrites that file as it learns the topology). A process rather than a container for
/// the same reasons as the servers it watches: the primary it monitors is a local process killed with SIGKILL, and the
/// addresses Sentinel hands to clients must be the loopback ports the test process reaches.
/// </summary>
public sealed class SentinelProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SentinelProcess(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    public string Directory { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Path of redis-sentinel (REDIS_SENTINEL, else PATH).</summary>
    public static string SentinelPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("REDIS_SENTINEL") is { Length: > 0 } configured)
            {
                return configured;
            }
            foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin"))
            {
                var candidate = Path.Combine(directory, "redis-sentinel");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new FileNotFoundException("redis-sentinel was not found on PATH. Install it with: sudo apt-get install -y redis-sentinel (the repository's .ci/install-redis does this).");
        }
    }

    /// <summary>Starts a Sentinel monitoring <paramref name="primary"/> as <paramref name="service"/> and waits until it answers.</summary>
    public static async Task<SentinelProcess> StartAsync(string service, RedisServerProcess primary, int quorum, int downAfterMilliseconds, int failoverTimeoutMilliseconds)
    {
        var port = LoopbackPorts.Free();
        var directory = Path.Combine(Path.GetTempPath(), "redis-sentinel-" + port.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "sentinel.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"port {port}",
            "bind 127.0.0.1",
            "daemonize no",
            $"dir {directory}",
            "logfile sentinel.log",
            $"sentinel monitor {service} 127.0.0.1 {primary.Port} {quorum}",
            $"sentinel down-after-milliseconds {service} {downAfterMilliseconds}",
            $"sentinel failover-timeout {service} {failoverTimeoutMilliseconds}",
            $"sentinel parallel-syncs {service} 1",
            string.Empty));
        var start = new ProcessStartInfo(SentinelPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        start.ArgumentList.Add(config);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-sentinel.");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var sentinel = new SentinelProcess(process, port, directory);
        var clock = Stopwatch.StartNew();
        while ((await sentinel.CliAsync("ping")).Trim() != "PONG")
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                var log = Path.Combine(directory, "sentinel.log");
                throw new InvalidOperationException($"redis-sentinel on port {port} did not start: {(File.Exists(log) ? await File.ReadAllTextAsync(log) : "no log")}");
            }
            await Task.Delay(25);
        }
        return sentinel;
    }

    /// <summary>Runs redis-cli against this Sentinel.</summary>
    public Task<string> CliAsync(params string[] arguments) => RedisTools.RunCliAsync(["-p", Port.ToString(CultureInfo.InvariantCulture), .. arguments]);

    /// <summary>The port of the primary this Sentinel names for <paramref name="service"/>.</summary>
    public async Task<int> PrimaryPortAsync(string service)
    {
        var lines = (await CliAsync("sentinel", "get-master-addr-by-name", service)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length >= 2 && int.TryParse(lines[1].Trim(), CultureInfo.InvariantCulture, out var port) ? port : 0;
    }

    /// <summary>The lines of its log (to see what it did).</summary>
    public IEnumerable<string> Log => File.Exists(Path.Combine(Directory, "sentinel.log")) ? File.ReadLines(Path.Combine(Directory, "sentinel.log")) : [];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
