using System.Diagnostics;
using System.Globalization;

namespace RedisSessions.Benchmarks;

/// <summary>
/// What one operation costs Redis when a user has very many sessions: 1,000 users with 10 sessions each next to one user
/// with 50,000, MaxSessionsPerUser 0 (no limit) for both, and per pair a login, a refresh and a logout on each — the
/// logout ending the sessions that pair's logins made, so the large user stays at 50,000 (+ one pair's logins). The
/// figure compared is the script's own time inside Redis (INFO commandstats usec per EVALSHA), with server CPU per
/// operation next to it. At the end every session of the large user is ended at once (TerminateUserSessionsAsync), so
/// the slow log also sees the largest batch work this user causes.
/// </summary>
internal static class ScalingScenario
{
    private const int SmallUsers = 1_000;
    private const int SmallSessionsEach = 10;
    private const string LargeUser = "large-user";

    public static async Task RunAsync(BenchmarkSettings settings, RedisProbe probe, Recorder recorder, RedisSessionsSide ours)
    {
        var c = settings.Concurrency;
        var k = settings.ScalingOperations;
        var large = settings.LargeUserSessions;
        var small = SmallUsers * SmallSessionsEach;
        Scenario.Log($"one user with {large:N0} sessions next to {SmallUsers:N0} users with {SmallSessionsEach} ({recorder.Result.Name})");
        await probe.FlushAsync();
        var options = RedisSessionsSide.MeasuredOptions("bench-scaling");
        options.MaxSessionsPerUser = 0;
        var smallTable = new SessionTable(small + k);
        var largeTable = new SessionTable(large + k);
        await using var smallSide = ours.With(Sides.SmallUser, options, smallTable);
        await using var largeSide = ours.With(Sides.LargeUser, options, largeTable);
        static string SmallUser(int i) => "small-" + (i % SmallUsers).ToString(CultureInfo.InvariantCulture);
        static string Large(int i) => LargeUser;
        var build = Stopwatch.StartNew();
        await smallSide.CreateAsync(c, 0, small, SmallUser);
        await largeSide.CreateAsync(c, 0, large, Large);
        Scenario.Log($"  created {small:N0} + {large:N0} sessions in {build.Elapsed.TotalSeconds:0.0} s");

        for (var p = 0; p < settings.Pairs; p++)
        {
            // Logins go to [base, base + k) and are ended again at the end of the pair; refreshes take a slice of the base.
            await recorder.MeasureAsync(Sides.SmallUser, Phases.ScaleLogin, p, () => smallSide.CreateAsync(c, small, k, SmallUser), () => ours.RoundTrips);
            await recorder.MeasureAsync(Sides.LargeUser, Phases.ScaleLogin, p, () => largeSide.CreateAsync(c, large, k, Large), () => ours.RoundTrips);
            var from = p * k % Math.Max(1, small - k);
            await recorder.MeasureAsync(Sides.SmallUser, Phases.ScaleRefresh, p, () => smallSide.TouchSessionsAsync(c, from, k), () => ours.RoundTrips);
            await recorder.MeasureAsync(Sides.LargeUser, Phases.ScaleRefresh, p, () => largeSide.TouchSessionsAsync(c, p * k % (large - k), k), () => ours.RoundTrips);
            await recorder.MeasureAsync(Sides.SmallUser, Phases.ScaleLogout, p, () => smallSide.TerminateSessionsAsync(c, small, k), () => ours.RoundTrips);
            await recorder.MeasureAsync(Sides.LargeUser, Phases.ScaleLogout, p, () => largeSide.TerminateSessionsAsync(c, large, k), () => ours.RoundTrips);
        }

        var ended = 0;
        var run = await recorder.MeasureAsync(Sides.LargeUser, Phases.EndUser, 0, async () =>
        {
            using var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            ended = await largeSide.Manager.TerminateUserSessionsAsync(LargeUser);
            var seconds = clock.Elapsed.TotalSeconds;
            process.Refresh();
            var ms = clock.Elapsed.TotalMilliseconds;
            return new LoadResult(1, seconds, ms, ms, ended == large ? 0 : 1, ended == large ? null : $"ended {ended:N0} of {large:N0}", (process.TotalProcessorTime - cpu).TotalMilliseconds);
        }, () => ours.RoundTrips);
        recorder.Result.EndLargeUser = TimeSpan.FromSeconds(run.Load.Seconds);
        await probe.FlushAsync();
    }
}
