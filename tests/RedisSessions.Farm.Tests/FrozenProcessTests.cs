using RedisSessions.Farm.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>
/// A process frozen (SIGSTOP) longer than its leases while it holds claims: its terminations run elsewhere, once, and
/// when it wakes it neither starts what it held nor acknowledges the other process's attempt.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class FrozenProcessTests(ITestOutputHelper output)
{
    private const int Sessions = 40;

    [Fact]
    public async Task A_process_frozen_past_its_leases_has_its_terminations_run_elsewhere_once_and_acknowledges_none_of_them_when_it_wakes()
    {
        await using var redis = await FarmRedis.StartAsync();
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        var frozenStarts = farm.PathOf("starts-frozen.txt");
        // 3 s callbacks, 2 s leases: the frozen process holds its 16 claims (all its slots) while it is stopped.
        var frozen = await farm.StartListenerAsync("frozen", "claim=2000", "work=3000", $"starts={frozenStarts}", "stream=50000");
        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(2));
        await Eventually.TrueAsync(() => Lines(frozenStarts).Count >= 16, "the process started 16 callbacks", TimeSpan.FromSeconds(30),
            () => $"{Lines(frozenStarts).Count} started");
        var heldAtFreeze = Lines(frozenStarts).Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        frozen.Freeze();
        var startsAtFreeze = Lines(frozenStarts).Count;
        output.WriteLine($"froze the process with {heldAtFreeze.Count} callbacks started");

        // Another process takes over: the ready terminations at once, the frozen one's when their leases run out. Its
        // callbacks take 2 s too: the frozen process wakes up while the other one is running what it took over.
        var healthyStarts = farm.PathOf("starts-healthy.txt");
        await farm.StartListenerAsync("healthy", "claim=2000", "work=2000", $"starts={healthyStarts}", "stream=50000");
        await Eventually.TrueAsync(() => Lines(healthyStarts).Any(l => heldAtFreeze.Contains(l.Split(' ')[0])), "the other process took over a lease",
            TimeSpan.FromSeconds(60), () => $"{Lines(healthyStarts).Count} started there");
        frozen.Thaw();

        // Awake, the frozen process finishes the callbacks it had started. Leases nobody took meanwhile are still its
        // own (renewing them wins or loses atomically against a claim); the others' acknowledgements are refused, also
        // while their new attempt is still running on the other process.
        await Eventually.TrueAsync(async () => await farm.StreamLengthAsync() >= Sessions, "every termination was acknowledged", TimeSpan.FromSeconds(60),
            () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} callback lines");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or pending termination is left in Redis", TimeSpan.FromSeconds(30));
        var taken = Lines(healthyStarts).Where(l => l.Split(' ')[1] == "2").Select(l => l.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(taken);
        Assert.Subset(heldAtFreeze, taken);
        await Eventually.TrueAsync(() => frozen.Errors.Count(l => l.Contains("LeaseTakenOver", StringComparison.Ordinal)) >= taken.Count,
            "the woken process found each lease that was taken over", TimeSpan.FromSeconds(30), () => string.Join(" | ", frozen.Errors.TakeLast(3)));
        await farm.StopAllAsync();
        Assert.Equal(taken.Count, frozen.Errors.Count(l => l.Contains("LeaseTakenOver", StringComparison.Ordinal)));

        // Awake, it started none of what it had held (it may claim what is still waiting, like any process).
        Assert.DoesNotContain(Lines(frozenStarts).Skip(startsAtFreeze), l => heldAtFreeze.Contains(l.Split(' ')[0]));
        var records = CallbackRecord.ReadAll(farm.CallbackFiles);
        // Every session ran once, but those taken over: once on the frozen process, started before it stopped (the
        // window no lease can close: a callback already under way), and once elsewhere as attempt 2.
        foreach (var id in sessions.Keys)
        {
            var runs = records.Where(r => r.SessionId == id).Select(r => $"{r.Listener}:{r.Attempt}").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(taken.Contains(id) ? ["frozen:1", "healthy:2"] : (IEnumerable<string>)[Assert.Single(runs)], runs);
        }
        var events = await farm.ReadStreamAsync();
        Assert.Equal(Sessions, events.Count);
        Assert.Equal(Sessions, events.Select(e => e["session"]).Distinct().Count());
        Assert.All(events.Where(e => taken.Contains(e["session"])), e => Assert.Equal(("2", "healthy"), (e["attempt"], e["handled_by"])));
        output.WriteLine($"{heldAtFreeze.Count} held when frozen, {taken.Count} of them taken over and run once elsewhere, none of those acknowledged by the woken process");
    }

    private static List<string> Lines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Split(' ').Length == 3)
            {
                lines.Add(line);
            }
        }
        return lines;
    }
}
