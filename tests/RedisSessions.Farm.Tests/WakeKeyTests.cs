using RedisSessions.Farm.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>A tag's wake key expires at the tag's earliest deadline, whatever else the tag holds: a short session
/// sharing its tag with long ones is woken for by its own expiry, not theirs.</summary>
[Collection(FarmCollection.Name)]
public sealed class WakeKeyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_keyspace_events_only_a_short_session_in_a_tag_holding_a_long_one_ends_on_time()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // Keyspace events only: no deadline schedule, and no sweep but the one at start (before any session).
        await farm.StartListenerAsync("listener", "refresh=0", "cleanup=3600000", "grace=7200000");
        var residents = await farm.CreateSessionsAsync(2000, TimeSpan.FromMinutes(30), userPrefix: "resident-");
        var residentTags = residents.Keys.Select(id => id[..3]).ToHashSet(StringComparer.Ordinal);
        var shortOnes = await farm.CreateSessionsAsync(100, TimeSpan.FromSeconds(2));
        var shared = shortOnes.Where(p => residentTags.Contains(p.Key[..3])).ToDictionary(p => p.Key, p => p.Value);
        output.WriteLine($"{shared.Count} short sessions share a tag with a resident");
        Assert.True(shared.Count >= 50, $"only {shared.Count} of 100 short sessions share a tag with one of 2,000 residents");
        foreach (var id in shared.Keys.Take(3))
        {
            output.WriteLine($"  {id}: wake key PTTL {await farm.Db.KeyTimeToLiveAsync($"{farm.Prefix}:{{{id[..3]}}}:wake")}");
        }
        await Eventually.TrueAsync(() => CallbackRecord.ReadAll(farm.CallbackFiles).Count(r => shared.ContainsKey(r.SessionId)) >= shared.Count,
            "every short session ended by its keyspace event", TimeSpan.FromSeconds(40),
            () => $"{CallbackRecord.ReadAll(farm.CallbackFiles).Count(r => shared.ContainsKey(r.SessionId))} of {shared.Count} so far");
        var delivery = Delivery.Of(shortOnes, farm.CallbackFiles);
        Assert.DoesNotContain(delivery.Unexpected, residents.ContainsKey); // no resident ended
        output.WriteLine($"deadline -> callback: p50 {delivery.LatencyPercentile(50)} ms, p99 {delivery.LatencyPercentile(99)} ms (Redis's expiry cycle)");
        await farm.StopAllAsync();
    }
}
