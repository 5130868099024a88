using System.Diagnostics;
using RedisSessions.Farm.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>
/// Handlers slower than their lease: a claim is a lease of TerminationClaimTimeout (2 s here) that the process running
/// the callback renews while it runs, so a healthy process's termination is never taken over and run a second time,
/// however long the callback takes.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class SlowHandlerTests(ITestOutputHelper output)
{
    private const int Sessions = 500;

    [Theory]
    [InlineData("standalone")]
    [InlineData("cluster")]
    public async Task With_2_s_leases_and_callbacks_of_200_ms_one_at_a_time_each_of_500_terminations_runs_once(string topology)
    {
        await using var redis = await FarmRedis.StartAsync(topology);
        await using var farm = await new SessionFarm(redis.Endpoint, output).ConnectAsync();
        // Each callback does 200 ms of work, one at a time per process (a handler with one connection to its
        // downstream): of the 16 terminations a process holds, the last waits 3 s before its work starts, so most
        // callbacks last longer than the 2 s lease, which only renewal keeps the process's own.
        for (var i = 1; i <= 3; i++)
        {
            await farm.StartListenerAsync($"handler-{i}", "claim=2000", "work=200", "parallel=1", "stream=50000");
        }

        var sessions = await farm.CreateSessionsAsync(Sessions, TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => CallbackRecord.CountLines(farm.CallbackFiles) >= Sessions, "every session reached a callback",
            TimeSpan.FromSeconds(90), () => $"{CallbackRecord.CountLines(farm.CallbackFiles)} so far");
        await Eventually.TrueAsync(farm.AllSettledAsync, "no session or pending termination is left in Redis", TimeSpan.FromSeconds(30));
        output.WriteLine($"all {Sessions} handled {clock.Elapsed.TotalSeconds:0.0} s after the first deadline");
        // Callbacks still running (a lease lost midway would mean one) finish or are cancelled before the files are read.
        var handlers = farm.Processes.ToList();
        await farm.StopAllAsync();

        var delivery = Delivery.Of(sessions, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        // A process claims no more than it has free slots for (16): the rest wait for the other processes.
        var inFlight = handlers.Select(h => (h.Name, Max: int.Parse(h.Output.Single(l => l.StartsWith("max-in-flight ", StringComparison.Ordinal))[14..], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        output.WriteLine("most callbacks held at once: " + string.Join(", ", inFlight.Select(h => $"{h.Name} {h.Max}")));
        Assert.All(inFlight, h => Assert.InRange(h.Max, 1, 16));
        Assert.All(delivery.Records, r => Assert.Equal(1, r.Attempt)); // no lease ran out under a healthy process
        Assert.True(delivery.Records.Select(r => r.Listener).Distinct().Count() >= 2, "the work is shared between the handlers");
        Assert.DoesNotContain(handlers.SelectMany(h => h.Errors), l => l.Contains("LeaseTakenOver", StringComparison.Ordinal));
        var events = await farm.ReadStreamAsync();
        Assert.Equal(Sessions, events.Count);
        Assert.All(events, e => Assert.Equal("1", e["attempt"]));
    }
}
