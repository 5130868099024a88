using System.Diagnostics;
using StackExchange.Redis;

namespace RedisSessions.Soak;

/// <summary>Redis's clock for measuring latencies (expiry → callback): the last TIME answer plus the monotonic time
/// since, refreshed every half second. Nothing moves a clock; only figures depend on it.</summary>
internal sealed class RedisClockEstimate(IConnectionMultiplexer redis)
{
    private (long RedisMs, long At) _last;

    public long NowMs
    {
        get
        {
            var last = _last;
            return last.RedisMs + (long)Stopwatch.GetElapsedTime(last.At).TotalMilliseconds;
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var sent = Stopwatch.GetTimestamp();
                var parts = (RedisResult[])(await redis.GetDatabase().ExecuteAsync("TIME"))!;
                var rtt = Stopwatch.GetElapsedTime(sent);
                if (rtt < TimeSpan.FromMilliseconds(50) || _last.At == 0)
                {
                    _last = ((long)parts[0] * 1000 + (long)parts[1] / 1000, sent + (long)(rtt.TotalSeconds / 2 * Stopwatch.Frequency));
                }
                await Task.Delay(500, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RedisException)
            {
            }
        }
    }
}
