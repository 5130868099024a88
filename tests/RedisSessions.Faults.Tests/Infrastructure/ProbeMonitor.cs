using System.Diagnostics;
using System.Globalization;
using RedisSessions.LocalRedis;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>Watches a server with <c>redis-cli MONITOR</c> (as the tests' admin user) and counts the expiry listener's probe
/// writes: the only way to see a probe happen without reading the listener's internals.</summary>
public sealed class ProbeMonitor : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _reading;
    private int _probes;

    private ProbeMonitor(Process process, string prefix)
    {
        _process = process;
        _reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                // "SET" "acl:{000}:probe" "1" "PX" "1"  or  "PSETEX" "acl:{000}:probe" "1" "1"
                if ((line.Contains("\"SET\"", StringComparison.OrdinalIgnoreCase) || line.Contains("\"PSETEX\"", StringComparison.OrdinalIgnoreCase))
                    && line.Contains($"\"{prefix}:{{", StringComparison.Ordinal) && line.Contains(":probe\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _probes);
                }
            }
        });
    }

    /// <summary>Probe writes seen so far.</summary>
    public int Probes => Volatile.Read(ref _probes);

    public static async Task<ProbeMonitor> StartAsync(RedisServerProcess server, string prefix)
    {
        var start = new ProcessStartInfo(RedisTools.CliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", server.Port.ToString(CultureInfo.InvariantCulture) }.Concat(AclUsers.AdminCli).Append("monitor"))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-cli monitor.");
        _ = process.StandardError.ReadToEndAsync();
        var monitor = new ProbeMonitor(process, prefix);
        // MONITOR answers OK once it is watching.
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync(["-p", server.Port.ToString(CultureInfo.InvariantCulture), .. AclUsers.AdminCli, "client", "list"])).Contains("cmd=monitor", StringComparison.Ordinal),
            "redis-cli monitor is attached");
        return monitor;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        await _reading;
        _process.Dispose();
    }
}
