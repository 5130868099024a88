using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.WebBenchmarks;

/// <summary>What Redis did during a phase, from Redis itself: commands by name (those run inside Lua scripts count) and
/// its CPU time. <see cref="ResetAsync"/> before, <see cref="ReadAsync"/> after.</summary>
internal sealed class RedisStats(IConnectionMultiplexer admin)
{
    private readonly IServer _server = admin.GetServers()[0];

    public async Task<double> ResetAsync()
    {
        await _server.ExecuteAsync("CONFIG", "RESETSTAT");
        return await CpuSecondsAsync();
    }

    public async Task<(IReadOnlyDictionary<string, long> Commands, double CpuSeconds)> ReadAsync()
    {
        var commands = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in await _server.InfoAsync("commandstats"))
        {
            foreach (var (key, value) in group)
            {
                // cmdstat_hgetall:calls=123,usec=...
                if (!key.StartsWith("cmdstat_", StringComparison.Ordinal))
                {
                    continue;
                }
                var name = key["cmdstat_".Length..];
                var calls = value.Split(',').First(p => p.StartsWith("calls=", StringComparison.Ordinal))["calls=".Length..];
                commands[name] = long.Parse(calls, CultureInfo.InvariantCulture);
            }
        }
        // The statistics commands of this probe are not the app's ("config|resetstat" in Redis 7).
        foreach (var name in commands.Keys.Where(n => n.StartsWith("config", StringComparison.Ordinal) || n == "info").ToList())
        {
            commands.Remove(name);
        }
        return (commands, await CpuSecondsAsync());
    }

    private async Task<double> CpuSecondsAsync()
    {
        double total = 0;
        foreach (var group in await _server.InfoAsync("cpu"))
        {
            foreach (var (key, value) in group)
            {
                if (key is "used_cpu_sys" or "used_cpu_user")
                {
                    total += double.Parse(value, CultureInfo.InvariantCulture);
                }
            }
        }
        return total;
    }
}
