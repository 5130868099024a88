using System.Diagnostics;
using StackExchange.Redis;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>Redis's clock as the tests measure latencies with it (expiry → callback): the last TIME answer plus the
/// monotonic time since, refreshed twice a second in the background. Only for figures: no test decision depends on
/// it, and nothing moves any clock.</summary>
public sealed class RedisClockEstimate : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresh;
    private (long RedisMs, long At) _last;

    private RedisClockEstimate(IConnectionMultiplexer redis, long redisMs)
    {
        _redis = redis;
        _last = (redisMs, Stopwatch.GetTimestamp());
        _refresh = Task.Run(RefreshAsync);
    }

    public static async Task<RedisClockEstimate> StartAsync(IConnectionMultiplexer redis) => new(redis, await RedisTime.NowAsync(redis.GetDatabase()));

    /// <summary>Redis's clock now (Unix ms), estimated.</summary>
    public long NowMs
    {
        get
        {
            var last = _last;
            return last.RedisMs + (long)Stopwatch.GetElapsedTime(last.At).TotalMilliseconds;
        }
    }

    private async Task RefreshAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var sent = Stopwatch.GetTimestamp();
                var now = await RedisTime.NowAsync(_redis.GetDatabase());
                var rtt = Stopwatch.GetElapsedTime(sent);
                if (rtt < TimeSpan.FromMilliseconds(50))
                {
                    // The answer was read half way through the round trip.
                    _last = (now, sent + (long)(rtt.TotalSeconds / 2 * Stopwatch.Frequency));
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis away: keep the last estimate.
            }
            try
            {
                await Task.Delay(500, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _refresh;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
