using StackExchange.Redis;

namespace RedisSessions.Testing;

/// <summary>Redis's own clock, which every decision about time follows: tests wait on it instead of moving a clock of
/// their own.</summary>
public static class RedisTime
{
    /// <summary>Redis's clock (TIME), Unix ms.</summary>
    public static async Task<long> NowAsync(IDatabase db)
    {
        var parts = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return (long)parts[0] * 1000 + (long)parts[1] / 1000;
    }

    /// <summary>Waits until Redis's clock reads <paramref name="unixMs"/> or later.</summary>
    public static async Task WaitUntilAsync(IDatabase db, long unixMs)
    {
        while (true)
        {
            var now = await NowAsync(db);
            if (now >= unixMs)
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(unixMs - now, 1, 50)));
        }
    }

    /// <inheritdoc cref="WaitUntilAsync(IDatabase, long)"/>
    public static Task WaitUntilAsync(IDatabase db, DateTimeOffset at) => WaitUntilAsync(db, at.ToUnixTimeMilliseconds());

    /// <summary>Calls of a Redis command on every primary so far (INFO commandstats), e.g. "evalsha".</summary>
    public static async Task<long> CommandCallsAsync(IConnectionMultiplexer redis, string command)
    {
        long total = 0;
        foreach (var server in redis.GetServers())
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }
            var info = await server.InfoRawAsync("commandstats") ?? string.Empty;
            foreach (var line in info.Split('\n'))
            {
                if (line.StartsWith($"cmdstat_{command}:calls=", StringComparison.Ordinal))
                {
                    total += long.Parse(line.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        return total;
    }
}
