using System.Text.RegularExpressions;

namespace RedisSessions.Benchmarks;

/// <summary>
/// Redis memory, each side alone on an empty Redis (so the keyspace's power-of-two tables are charged to the side whose
/// keys they hold): used_memory with every session live, and after every session ended. RedisSessions runs it as a
/// process with a termination callback does — every logout claimed, its callback run and acknowledged — once with the
/// default TerminationNoticePeriod (a small {ended, reason} marker stays that long) and once with 0 (nothing stays).
/// The logouts themselves are measured as a phase ("logout, callback registered").
/// </summary>
internal static partial class MemoryScenario
{
    public static async Task RunAsync(BenchmarkSettings settings, string configuration, RedisProbe probe, Recorder recorder, PeerSide? peer)
    {
        var n = settings.Sessions;
        var c = settings.Concurrency;
        Scenario.Log($"memory ({recorder.Result.Name}): {n:N0} sessions of each side, alone on an empty Redis");
        var figures = new List<double>();
        var after = new List<MemoryAfterEnd>();
        IReadOnlyList<KeyGroup>? loadedKinds = null;
        double keysPerSession = 0;
        TimeSpan[] notices = [new SessionOptions().TerminationNoticePeriod, TimeSpan.Zero];
        for (var k = 0; k < notices.Length; k++)
        {
            var notice = notices[k];
            await probe.FlushAsync();
            // Background work off: its per-second reads would blur the logout phase's figures (the report measures
            // them on their own); logouts are claimed and handled at once whether it runs or not.
            var options = new SessionOptions { EnableAutoCleanup = false, NodeName = "bench-handler", TerminationNoticePeriod = notice };
            await using var handler = await RedisSessionsSide.ConnectAsync(Sides.Ours, configuration, options, new SessionTable(n));
            long handled = 0;
            using var registration = handler.Manager.RegisterTerminationCallback((_, _) =>
            {
                Interlocked.Increment(ref handled);
                return Task.CompletedTask;
            });
            // The baseline once the process is connected: its connections' buffers are not the sessions'.
            var empty = await probe.SettledUsedMemoryAsync();
            await handler.CreateAsync(c, 0, n);
            var loaded = await probe.SettledUsedMemoryAsync();
            figures.Add((double)(loaded - empty) / n);
            if (loadedKinds is null)
            {
                keysPerSession = (double)await probe.KeyCountAsync() / n;
                loadedKinds = await probe.CensusAsync(KindOf);
            }
            await recorder.MeasureAsync(Sides.Ours, Phases.LogoutHandled, k, () => handler.TerminateAsync(c, 0, n), () => handler.RoundTrips);
            var end = await probe.SettledUsedMemoryAsync();
            var left = await probe.CensusAsync(KindOf);
            var label = notice == TimeSpan.Zero ? "TerminationNoticePeriod 0" : $"TerminationNoticePeriod {notice.TotalMinutes:0} min (default)";
            after.Add(new MemoryAfterEnd(label, notice, Interlocked.Read(ref handled), end - empty, left));
            Scenario.Log($"  RedisSessions: {figures[^1]:N0} B per session live; {label}: {(double)(end - empty) / n:N1} B per session left after {Interlocked.Read(ref handled):N0} handled terminations");
        }
        recorder.Result.Memory.Add(new MemoryMeasurement(Sides.Ours, n, figures, keysPerSession, loadedKinds!, after));

        if (peer is not null)
        {
            await probe.FlushAsync();
            await peer.ResetAsync();
            var empty = await probe.SettledUsedMemoryAsync();
            await peer.CreateAsync(0, n);
            var loaded = await probe.SettledUsedMemoryAsync();
            var keys = (double)await probe.KeyCountAsync() / n;
            var kinds = await probe.CensusAsync(KindOf);
            await peer.TerminateAsync(0, n);
            var end = await probe.SettledUsedMemoryAsync();
            var left = await probe.CensusAsync(KindOf);
            recorder.Result.Memory.Add(new MemoryMeasurement(Sides.Peer, n, [(double)(loaded - empty) / n], keys, kinds,
                [new MemoryAfterEnd("after store.destroy", TimeSpan.Zero, 0, end - empty, left)]));
            Scenario.Log($"  connect-redis: {(double)(loaded - empty) / n:N0} B per session live; {(double)(end - empty) / n:N1} B per session left after destroy");
            await peer.ResetAsync();
        }
        await probe.FlushAsync();
    }

    /// <summary>What a key is, by the key schema (src/RedisSessions/Keys/KeySchema.cs) and connect-redis' prefix.</summary>
    public static string KindOf(string key)
    {
        if (key.StartsWith("sess:", StringComparison.Ordinal))
        {
            return "connect-redis session (JSON string)";
        }
        if (key == "rs:events")
        {
            return "event stream rs:events (trimmed to ~EventStreamMaxLength)";
        }
        if (key.StartsWith("rs:heartbeat:", StringComparison.Ordinal))
        {
            return "heartbeat of a listening process";
        }
        var match = TagKey().Match(key);
        if (!match.Success)
        {
            return "other";
        }
        return match.Groups[1].Value switch
        {
            "session:" => "session hash (live) / notice marker (ended)",
            "user:" => "user index (zset, per user)",
            "due" => "due index (zset, per tag)",
            "pending" => "pending index (zset, per tag)",
            "wake" => "wake key (string, per tag)",
            "sessions" => "session counter (per tag)",
            "probe" => "keyspace-event probe",
            _ => "other",
        };
    }

    [GeneratedRegex(@"^rs:\{[0-9a-f]{3}\}:(session:|user:|due$|pending$|wake$|sessions$|probe$)")]
    private static partial Regex TagKey();
}
