using RedisSessions.Farm.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>
/// Several listener processes share one Redis; 10,000 sessions with short timeouts expire at about the same time.
/// Every session must reach exactly one callback in the whole farm, with its data, whatever happens to the listeners
/// or to Redis meanwhile.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class ExactlyOnceTests(ITestOutputHelper output)
{
    private const int Sessions = 10_000;

    [Fact]
    public async Task Three_listeners_run_the_callbacks_of_10000_sessions_expiring_at_once_exactly_once_and_on_time()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // Default settings (deadline refresh 1 s, sweep every 5 min, claim timeout 30 s); the stream keeps every event.
        for (var i = 1; i <= 3; i++)
        {
            await farm.StartListenerAsync($"listener-{i}", "stream=50000");
        }

        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(6));

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= Sessions, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        Assert.All(delivery.Records, r => Assert.Equal("expired", r.Reason));
        Assert.All(delivery.Records, r => Assert.Equal(1, r.Attempt));
        Assert.All(delivery.Records, r => Assert.Equal(r.UserId, "user-" + r.Data)); // the snapshot carries the data
        Assert.True(delivery.Records.Select(r => r.Listener).Distinct().Count() >= 2, "the work is shared between listeners");

        // All 10,000 fall due within about a second here (harsher than "in the same minute", which LatencyTests holds
        // to p99 < 2 s): on time means by the deadline schedule, not the 5-minute sweep.
        var p50 = delivery.LatencyPercentile(50);
        var p99 = delivery.LatencyPercentile(99);
        output.WriteLine($"deadline -> callback: p50 {p50} ms, p99 {p99} ms, max {delivery.LatencyPercentile(100)} ms");
        Assert.True(p99 < 5000, $"p99 from deadline to callback was {p99} ms");

        // Each termination is in the stream once, with what an operator needs.
        var events = await farm.ReadStreamAsync();
        Assert.Equal(Sessions, events.Count);
        Assert.Equal(sessions.Keys.Order(StringComparer.Ordinal), events.Select(e => e["session"]).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.True(e.ContainsKey("user") && e["reason"] == "expired" && long.Parse(e["at"]) > 0));

        await farm.StopAllAsync();
    }

    [Fact]
    public async Task A_listener_killed_with_SIGKILL_midway_loses_nothing_and_the_others_retry_what_it_held()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // A short claim timeout so the retry comes within the test; everything else default.
        var victim = await farm.StartListenerAsync("victim", "claim=3000", "stream=50000", "block-after=400");
        await farm.StartListenerAsync("survivor-1", "claim=3000", "stream=50000");
        await farm.StartListenerAsync("survivor-2", "claim=3000", "stream=50000");

        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(5));

        // The victim handles 400 terminations, then gets stuck inside its callbacks (holding claims it never
        // finishes) while the others go on. Once its finished ones are acknowledged (each is in the stream, which is
        // written right behind the ack), it dies without any shutdown code.
        await victim.WaitForOutputAsync("blocked", TimeSpan.FromSeconds(60));
        var victimFile = farm.CallbackFiles.Single(f => f.EndsWith("-victim.txt", StringComparison.Ordinal));
        await Eventually.TrueAsync(async () =>
        {
            var handled = CallbackRecord.ReadAll([victimFile]).Count;
            var acknowledged = (await farm.ReadStreamAsync()).Count(e => e["handled_by"] == "victim");
            return handled == 400 && acknowledged == handled;
        }, "the victim's finished terminations are acknowledged", TimeSpan.FromSeconds(30));
        await victim.KillAsync();

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= Sessions, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        var retried = delivery.Records.Where(r => r.Attempt > 1).ToList();
        output.WriteLine($"retried after the victim's claims ran out: {retried.Count}");
        Assert.NotEmpty(retried); // the claims it held when it died
        Assert.All(retried, r => Assert.NotEqual("victim", r.Listener));
        Assert.Equal(400, delivery.Records.Count(r => r.Listener == "victim"));
        Assert.Equal(Sessions, (await farm.ReadStreamAsync()).Select(e => e["session"]).Distinct().Count());

        await farm.StopAllAsync();
    }

    [Fact]
    public async Task Redis_restarted_with_AOF_mid_way_loses_nothing_and_duplicates_nothing()
    {
        // A redis-server process, not a container: it is restarted on its own AOF at the same address (FarmRedis says why).
        await using var redis = await RedisServerProcess.StartAsync(); // deploy/redis.conf: appendonly yes, everysec
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        for (var i = 1; i <= 3; i++)
        {
            await farm.StartListenerAsync($"listener-{i}", "claim=5000", "stream=50000");
        }
        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(5));

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= 1000, "the first terminations are handled",
            TimeSpan.FromSeconds(60));
        await redis.RestartAsync(); // SIGTERM (AOF fsynced), then the same port and directory again
        output.WriteLine($"Redis restarted with {CallbackRecord.CountLines(farm.CallbackFiles)} terminations handled");

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= Sessions, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        Delivery.Of(sessions, farm.CallbackFiles).AssertExactlyOnce(output);

        await farm.StopAllAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class FarmCollection
{
    public const string Name = "farm";
}
