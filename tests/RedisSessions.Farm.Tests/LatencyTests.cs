using System.Diagnostics;
using RedisSessions.Farm.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>The latency target: with default settings, while 10,000 sessions expire in the same minute, the
/// time from each session's deadline to its callback stays under 2 s at p99.</summary>
[Collection(FarmCollection.Name)]
public sealed class LatencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_default_settings_10000_sessions_expiring_in_one_minute_reach_their_callback_within_2_seconds_at_p99()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        for (var i = 1; i <= 2; i++)
        {
            await farm.StartListenerAsync($"listener-{i}", "stream=50000"); // default settings otherwise
        }
        // A store that is not empty: 20,000 users stay logged in (30 min), so Redis has ~20,000 session keys with a TTL
        // besides the tags' wake keys, and its expiry cycle reaches a given wake key late; the deadline schedule must
        // not depend on it.
        await farm.CreateSessionsAsync(20_000, TimeSpan.FromMinutes(30), userPrefix: "resident");

        // Logins at an even pace for a minute, each with a 5 s idle timeout: 10,000 expirations within that minute.
        var expiring = new Dictionary<string, DateTimeOffset>();
        var clock = Stopwatch.StartNew();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        for (var tick = 0; expiring.Count < 10_000; tick++)
        {
            var batch = await farm.CreateSessionsAsync(Math.Min(17, 10_000 - expiring.Count), TimeSpan.FromSeconds(5), userPrefix: $"t{tick}-", quiet: true);
            foreach (var (id, expires) in batch)
            {
                expiring[id] = expires;
            }
            await pace.WaitForNextTickAsync();
        }
        output.WriteLine($"10,000 logins over {clock.Elapsed.TotalSeconds:0.0} s; deadlines from {expiring.Values.Min():HH:mm:ss} to {expiring.Values.Max():HH:mm:ss}");

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= expiring.Count, "every expiring session reached a callback",
            TimeSpan.FromSeconds(60), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        var delivery = Delivery.Of(expiring, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        var (p50, p99, max) = (delivery.LatencyPercentile(50), delivery.LatencyPercentile(99), delivery.LatencyPercentile(100));
        output.WriteLine($"deadline -> callback: p50 {p50} ms, p99 {p99} ms, max {max} ms");
        Assert.True(p99 < 2000, $"p99 from deadline to callback was {p99} ms");
        Assert.Equal(20_000, (await farm.StatsAsync()).TotalActiveSessions); // the residents are untouched

        await farm.StopAllAsync();
    }
}
