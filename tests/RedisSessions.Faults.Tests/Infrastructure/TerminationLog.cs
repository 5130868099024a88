using System.Collections.Concurrent;
using System.Diagnostics;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>One run of a termination callback, as the handler saw it.</summary>
/// <param name="AtMs">When the callback ran, in ms of the test's <see cref="Timeline"/>.</param>
/// <param name="RedisMs">When it ran on Redis's clock (estimated; 0 without an estimate).</param>
public sealed record Delivery(string SessionId, string UserId, TerminationReason Reason, int Attempt, IReadOnlyDictionary<string, string> Data,
    string Handler, long AtMs, long ExpiresMs, long RedisMs)
{
    /// <summary>From the session's expiry to the callback, on Redis's clock (ms).</summary>
    public long LatencyMs => RedisMs - ExpiresMs;
}

/// <summary>Every termination callback run in a test, by session: what "exactly once" is checked against.</summary>
public sealed class TerminationLog(Timeline timeline, RedisClockEstimate? clock = null)
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Delivery>> _bySession = new(StringComparer.Ordinal);
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public IReadOnlyCollection<string> Sessions => _bySession.Keys.ToArray();

    public IReadOnlyList<Delivery> All => _bySession.Values.SelectMany(q => q).OrderBy(d => d.AtMs).ToArray();

    public int Count(string sessionId) => _bySession.TryGetValue(sessionId, out var q) ? q.Count : 0;

    public IReadOnlyList<Delivery> For(string sessionId) => _bySession.TryGetValue(sessionId, out var q) ? q.ToArray() : [];

    /// <summary>A callback for a manager named <paramref name="handler"/>. <paramref name="hold"/>, when given, runs
    /// first and may wait (a handler still busy when the fault comes).</summary>
    public Func<SessionTermination, CancellationToken, Task> Handler(string handler, Func<SessionTermination, Task>? hold = null) => async (termination, _) =>
    {
        if (hold is not null)
        {
            await hold(termination);
        }
        var session = termination.Session;
        var delivery = new Delivery(session.SessionId, session.UserId, termination.Reason, termination.Attempt,
            new Dictionary<string, string>(session.Data, StringComparer.Ordinal), handler, timeline.NowMs,
            session.ExpiresAt.ToUnixTimeMilliseconds(), clock?.NowMs ?? 0);
        _bySession.GetOrAdd(session.SessionId, _ => new ConcurrentQueue<Delivery>()).Enqueue(delivery);
        Interlocked.Increment(ref _total);
    };
}

/// <summary>The test's own monotonic time line (ms since it started), to place operations and callbacks relative to
/// the fault. Measures elapsed time only; every decision about a session's time is Redis's.</summary>
public sealed class Timeline
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public long NowMs => _clock.ElapsedMilliseconds;

    public TimeSpan Elapsed => _clock.Elapsed;
}
