using System.Diagnostics;

namespace RedisSessions.Benchmarks;

/// <summary>
/// Runs an operation with a fixed number in flight, the same way the peer's harness does (benchmarks/peer/harness.js):
/// worker w uses the indexes from + w, from + w + C, from + w + 2C, ... of [from, from + count) — once each for a
/// counted phase, round and round until the time is up for a timed one — so no two operations in flight ever share a
/// session. Every operation's latency is kept (a few million longs at most) and sorted for the percentiles.
/// </summary>
internal static class LoadRunner
{
    public static Task<LoadResult> RunOnceEachAsync(int concurrency, int from, int count, Func<int, long, Task> operation) =>
        RunAsync(concurrency, from, count, duration: null, operation);

    public static Task<LoadResult> RunForAsync(int concurrency, int from, int count, TimeSpan duration, Func<int, long, Task> operation) =>
        RunAsync(concurrency, from, count, duration, operation);

    private static async Task<LoadResult> RunAsync(int concurrency, int from, int count, TimeSpan? duration, Func<int, long, Task> operation)
    {
        var latencies = new List<long>[concurrency];
        long errors = 0;
        string? firstError = null;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var started = Stopwatch.GetTimestamp();
        var deadline = duration is { } d ? started + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var worker = w;
            workers[w] = Task.Run(async () =>
            {
                var mine = new List<long>(duration is null ? count / concurrency + 1 : 4096);
                latencies[worker] = mine;
                if (worker >= count)
                {
                    return;
                }
                long iteration = 0;
                for (var i = worker; ; iteration++)
                {
                    if (duration is null ? i >= count : Stopwatch.GetTimestamp() >= deadline)
                    {
                        break;
                    }
                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        await operation(from + i, iteration);
                    }
#pragma warning disable CA1031 // Counted and reported: a benchmark with errors says so in its table.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        if (Interlocked.Increment(ref errors) == 1)
                        {
                            firstError = $"{ex.GetType().Name}: {ex.Message}";
                        }
                    }
                    mine.Add(Stopwatch.GetTimestamp() - t0);
                    i += concurrency;
                    if (duration is not null && i >= count)
                    {
                        i = worker;
                    }
                }
            });
        }
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;

        var all = new long[latencies.Sum(l => l.Count)];
        var at = 0;
        foreach (var part in latencies)
        {
            part.CopyTo(all, at);
            at += part.Count;
        }
        Array.Sort(all);
        return new LoadResult(all.Length, elapsed, Percentile(all, 50), Percentile(all, 99), errors, firstError, cpuMs, allocated);
    }

    private static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var index = Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[index] * 1000.0 / Stopwatch.Frequency;
    }
}
