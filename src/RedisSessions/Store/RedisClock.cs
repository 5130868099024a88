using System.Diagnostics;

namespace RedisSessions.Store;

/// <summary>
/// Redis's clock, as this process last saw it. Every script that decides anything about time reads Redis's own clock
/// (TIME) and answers with it; this keeps the latest answer together with the monotonic time it arrived, so "now on
/// Redis" is that answer plus the monotonic time since: the app node's wall clock plays no part (a node whose clock is
/// minutes off still sees Redis's time). It is used only to skip a round trip when the answer is clear by a wide
/// margin (a read that finds a session far from its expiry); every close call goes to a script.
/// </summary>
internal sealed class RedisClock
{
    /// <summary>An estimate older than this is not trusted: the next decision goes to a script.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _fallback;
    private Sample? _last;

    public RedisClock(TimeProvider fallback) => _fallback = fallback;

    /// <summary>Takes Redis's clock from a script's answer (Unix ms).</summary>
    public void Observe(long redisNowMs)
    {
        if (redisNowMs > 0)
        {
            Volatile.Write(ref _last, new Sample(redisNowMs, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>Redis's clock now, estimated from the last answer, when that answer is recent enough to trust.</summary>
    public bool TryGetNow(out long nowMs)
    {
        if (Volatile.Read(ref _last) is not { } last)
        {
            nowMs = 0;
            return false;
        }
        var elapsed = Stopwatch.GetElapsedTime(last.ObservedAt);
        nowMs = last.RedisMs + (long)elapsed.TotalMilliseconds;
        return elapsed < MaxAge;
    }

    /// <summary>Redis's clock as best known (for display: <see cref="Session.IsActive"/>); the local clock before any answer.</summary>
    public long NowMs => Volatile.Read(ref _last) is { } last
        ? last.RedisMs + (long)Stopwatch.GetElapsedTime(last.ObservedAt).TotalMilliseconds
        : _fallback.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>One answer: Redis's clock and the monotonic time it arrived, written and read as one.</summary>
    private sealed record Sample(long RedisMs, long ObservedAt);
}
