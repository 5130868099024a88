using System.Diagnostics;
using System.Threading.Channels;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// The background half of <see cref="SessionOptions.EnableAutoCleanup"/>: a full sweep every
/// <see cref="SessionOptions.CleanupInterval"/> (the authority: it finds whatever notifications missed), and between
/// sweeps, targeted sweeps of single buckets when a timer key's keyspace "expired" event arrives (the fast path) or
/// when another process announces a termination it left for a handler.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "StopAsync disposes the listener and the token source.")]
internal sealed class SessionSweeper
{
    private readonly SessionManager _manager;
    private readonly Channel<string> _buckets = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private ExpiryNotificationListener? _listener;
    private Task? _loop;

    public SessionSweeper(SessionManager manager) => _manager = manager;

    public bool IsRunning => _loop is { IsCompleted: false };

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public void RequestBucket(string bucket) => _buckets.Writer.TryWrite(bucket);

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        _manager.LogAutoCleanupStarted();
        _listener = new ExpiryNotificationListener(_manager, RequestBucket);
        var interval = _manager.Settings.CleanupInterval;
        var nextFull = Stopwatch.GetTimestamp();
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _listener.RefreshAsync().ConfigureAwait(false);
                if (Stopwatch.GetTimestamp() >= nextFull)
                {
                    await _manager.CleanupInactiveSessionsAsync(stop).ConfigureAwait(false);
                    nextFull = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency);
                }
                var wait = TimeSpan.FromSeconds((double)(nextFull - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
                // Refresh the listener's view of the masters at least every 10 s.
                if (wait > TimeSpan.FromSeconds(10))
                {
                    wait = TimeSpan.FromSeconds(10);
                }
                if (wait > TimeSpan.Zero)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    timeout.CancelAfter(wait);
                    try
                    {
                        await _buckets.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                    }
                }
                var requested = new HashSet<string>(StringComparer.Ordinal);
                while (_buckets.Reader.TryRead(out var bucket))
                {
                    requested.Add(bucket);
                }
                foreach (var bucket in requested)
                {
                    await _manager.Terminations.SweepBucketAsync(bucket, stop).ConfigureAwait(false);
                }
                failures = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is SessionException || RedisConnector.IsUnavailable(ex) || ex is RedisException)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7))));
                _manager.LogSweepFailed(ex, delay);
                try
                {
                    await Task.Delay(delay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                nextFull = Stopwatch.GetTimestamp(); // after a failure, sweep everything once we are back
            }
        }
    }
}
