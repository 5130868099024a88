using RedisSessions.Farm.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class DueKeyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_keyspace_events_only_a_short_session_in_a_bucket_holding_a_long_one_ends_on_time()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        await farm.StartListenerAsync("listener", "refresh=0", "cleanup=3600000");
        var residents = await farm.CreateSessionsAsync(2000, TimeSpan.FromMinutes(30), userPrefix: "resident-");
        var residentBuckets = residents.Keys.Select(id => id[..3]).ToHashSet(StringComparer.Ordinal);
        var shortOnes = await farm.CreateSessionsAsync(100, TimeSpan.FromSeconds(2));
        var shared = shortOnes.Where(p => residentBuckets.Contains(p.Key[..3])).ToDictionary(p => p.Key, p => p.Value);
        output.WriteLine($"{shared.Count} short sessions share a bucket with a resident");
        foreach (var id in shared.Keys.Take(3))
        {
            output.WriteLine($"  {id}: due key PTTL {await farm.Db.KeyTimeToLiveAsync($"{farm.Prefix}:{{{id[..3]}}}:due")}");
        }
        await Eventually.TrueAsync(() => CallbackRecord.ReadAll(farm.CallbackFiles).Count(r => shared.ContainsKey(r.SessionId)) >= shared.Count,
            "every short session ended by its keyspace event", TimeSpan.FromSeconds(40),
            () => $"{CallbackRecord.ReadAll(farm.CallbackFiles).Count(r => shared.ContainsKey(r.SessionId))} of {shared.Count} so far");
        await farm.StopAllAsync();
    }
}
