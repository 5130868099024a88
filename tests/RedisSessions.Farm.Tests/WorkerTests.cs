using System.Text.RegularExpressions;
using RedisSessions.Farm.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>The worker host (src/RedisSessions.Worker) as an operator runs it: an executable configured by environment
/// variables, one log line per termination, a heartbeat, a webhook, and SIGTERM to stop it.</summary>
[Collection(FarmCollection.Name)]
public sealed partial class WorkerTests(ITestOutputHelper output)
{
    private const int Sessions = 10_000;

    [Fact]
    public async Task A_worker_started_after_the_sessions_expired_catches_up_and_logs_each_one_once()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(1));
        await RedisTime.WaitUntilAsync(farm.Db, sessions.Values.Max().AddMilliseconds(200)); // every session's time is up
        Assert.Equal(Sessions, (await farm.StatsAsync()).OverdueSessions); // nobody was listening

        var worker = farm.StartWorker("worker-1");
        await Eventually.TrueAsync(() => Ended(worker).Count >= Sessions, "the worker logged every termination",
            TimeSpan.FromSeconds(120), () => $"{Ended(worker).Count} so far. {worker.Describe()}");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));

        var ended = Ended(worker);
        Assert.Equal(Sessions, ended.Count);
        Assert.Equal(sessions.Keys.Order(StringComparer.Ordinal), ended.Select(e => e.SessionId).Order(StringComparer.Ordinal));
        Assert.All(ended, e => Assert.Equal("expired", e.Reason));
        Assert.Equal(Sessions, await farm.StreamLengthAsync());

        // The health signal the CLI reads.
        var heartbeat = (await farm.Db.HashGetAllAsync($"{farm.Prefix}:heartbeat:worker-1")).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        Assert.Equal("worker-1", heartbeat["node"]);
        Assert.Equal(worker.Pid.ToString(), heartbeat["pid"]);
        Assert.Equal(Environment.MachineName, heartbeat["host"]);
        Assert.InRange(long.Parse(heartbeat["last"]), long.Parse(heartbeat["started"]), await RedisTime.NowAsync(farm.Db));
        var ttl = await farm.Db.KeyTimeToLiveAsync($"{farm.Prefix}:heartbeat:worker-1");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(await farm.Db.KeyExistsAsync($"{farm.Prefix}:heartbeat:worker-1"), "a clean stop removes the heartbeat");
        Assert.Contains(worker.Output, l => l.Contains("Application is shutting down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_webhook_gets_each_termination_and_failed_posts_are_retried()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // The endpoint fails the first post of every session with 503, then accepts.
        await using var receiver = new WebhookReceiver((_, before) => before == 0 ? 503 : 200);
        var worker = farm.StartWorker("worker-1", new Dictionary<string, string>
        {
            ["Webhook__Url"] = receiver.Url,
            ["Webhook__InitialBackoff"] = "00:00:00.050",
        });
        await worker.WaitForOutputAsync(l => l.Contains("Application started", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        var sessions = await farm.CreateSessionsAsync(50, TimeSpan.FromSeconds(1));

        await Eventually.TrueAsync(() => receiver.Calls.Count(c => c.Status == 200) >= 50, "every termination was accepted by the webhook", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        var calls = receiver.Calls.ToArray();
        Assert.Equal(sessions.Keys.Order(StringComparer.Ordinal), calls.Where(c => c.Status == 200).Select(c => c.SessionId).Order(StringComparer.Ordinal));
        Assert.All(calls.GroupBy(c => c.SessionId), g => Assert.Equal([503, 200], g.Select(c => c.Status)));
        var payload = calls.First(c => c.Status == 200).Payload;
        Assert.Equal("expired", payload.GetProperty("reason").GetString());
        Assert.StartsWith("user-", payload.GetProperty("user_id").GetString(), StringComparison.Ordinal);
        Assert.Equal("web-1", payload.GetProperty("node").GetString());
        Assert.False(payload.TryGetProperty("data", out _), "session data stays out of the payload unless IncludeData is set");
        Assert.Contains(worker.Output, l => l.Contains("Webhook POST for session", StringComparison.Ordinal) && l.Contains("503", StringComparison.Ordinal));

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_worker_stopped_with_SIGTERM_mid_webhook_hands_its_claims_back_and_another_listener_finishes_them()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        await using var receiver = new WebhookReceiver((_, _) => null); // never answers
        var worker = farm.StartWorker("worker-1", new Dictionary<string, string>
        {
            ["Webhook__Url"] = receiver.Url,
            ["Webhook__AttemptTimeout"] = "00:01:00",
        }, "--shutdownTimeoutSeconds", "3");
        await worker.WaitForOutputAsync(l => l.Contains("Application started", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var sessions = await farm.CreateSessionsAsync(100, TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => !receiver.Calls.IsEmpty, "the worker claimed terminations and is posting them", TimeSpan.FromSeconds(30));

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var listener = await farm.StartListenerAsync("listener");

        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= sessions.Count, "the listener handled every termination",
            TimeSpan.FromSeconds(60), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or claim is left in Redis", TimeSpan.FromSeconds(30));
        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        var handedBack = delivery.Records.Count(r => r.Attempt > 1);
        output.WriteLine($"webhook calls in flight at SIGTERM: {receiver.Calls.Count}, handed back and retried: {handedBack}");
        Assert.True(handedBack >= 1, "what the worker had claimed came back with a higher attempt number");
        // Handed back at once, not after the 30 s claim timeout.
        Assert.True(delivery.Records.Max(r => r.LatencyMs) < 20_000, $"latest handled {delivery.Records.Max(r => r.LatencyMs)} ms after its deadline");

        await farm.StopAllAsync();
    }

    private static List<(string SessionId, string UserId, string Reason)> Ended(FarmProcess worker) =>
        worker.Output.Select(l => EndedLine().Match(l)).Where(m => m.Success).Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();

    [GeneratedRegex(@"Session (\S+) of user (\S+) ended: (\w+), age ")]
    private static partial Regex EndedLine();
}
