using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using RedisSessions.Keys;
using RedisSessions.Store;
using StackExchange.Redis;

namespace RedisSessions.Expiry;

/// <summary>
/// Turns keyspace "expired" events of the tags' wake keys into tag sweeps, and terminations announced on the pending
/// channel into claims. The expired events come through <see cref="RedisChannel.KeyEvent(KeyNotificationType, int?)"/>:
/// StackExchange.Redis subscribes such a channel on every primary (keyspace events are node-local on Redis Cluster)
/// and follows the topology as it changes, so this class only reacts. When a subscription connection comes back, or
/// the topology changes, events may have been missed: it reports a gap (the caller sweeps everything).
/// <para>
/// Whether a primary publishes expired events is found out by trying it, not by reading its configuration (CONFIG is
/// refused on most managed Redis): a probe key of a tag served by that primary is written with a 1 ms TTL and read
/// back, which makes the primary expire it at once; its event must arrive within <see cref="ProbeTimeout"/>. A primary
/// that stays silent gets one warning, and, with <see cref="SessionOptions.ConfigureKeyspaceNotifications"/>, a
/// <c>CONFIG SET</c> over a short-lived admin connection. Notifications are hints: a missed one only delays a
/// termination until the deadline schedule or the sweep.
/// </para>
/// </summary>
internal sealed partial class ExpiryHintListener : IAsyncDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly IConnectionMultiplexer _redis;
    private readonly KeySchema _keys;
    private readonly SessionOptions _options;
    private readonly ILogger _logger;
    private readonly Action<string> _onExpiredDue;
    private readonly Action<string> _onPending;
    private readonly Action<string> _onGap;
    private readonly RedisChannel _expiredChannel;
    private readonly Action<RedisChannel, RedisValue> _expiredHandler;
    private readonly Action<RedisChannel, RedisValue> _pendingHandler;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _probes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _publishing = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private readonly SemaphoreSlim _checking = new(1, 1);
    private int _started;

    /// <param name="redis">The connection to listen on.</param>
    /// <param name="keys">The key schema whose wake keys and pending channel are listened to.</param>
    /// <param name="options">The settings (<see cref="SessionOptions.ConfigureKeyspaceNotifications"/>).</param>
    /// <param name="logger">Where it says what it does.</param>
    /// <param name="onExpiredDue">Called with the tag of every expired wake key.</param>
    /// <param name="onPending">Called with the tag of every termination announced on the pending channel.</param>
    /// <param name="onGap">Called with a primary's endpoint when events of it may have been missed.</param>
    public ExpiryHintListener(IConnectionMultiplexer redis, KeySchema keys, SessionOptions options, ILogger logger, Action<string> onExpiredDue, Action<string> onPending, Action<string> onGap)
    {
        _redis = redis;
        _keys = keys;
        _options = options;
        _logger = logger;
        _onExpiredDue = onExpiredDue;
        _onPending = onPending;
        _onGap = onGap;
        _expiredChannel = RedisChannel.KeyEvent(KeyNotificationType.Expired, redis.GetDatabase().Database);
        _expiredHandler = OnExpired;
        _pendingHandler = OnPendingMessage;
    }

    /// <summary>The primaries whose expired events were seen to arrive (host:port), for logs and tests.</summary>
    public IReadOnlyCollection<string> Endpoints => _publishing.Where(p => p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Subscribes (once) and checks every primary. Throws when Redis can't be reached: call again later.</summary>
    public async Task StartAsync()
    {
        var redis = _redis;
        if (Volatile.Read(ref _started) == 0)
        {
            var subscriber = redis.GetSubscriber();
            await subscriber.SubscribeAsync(_expiredChannel, _expiredHandler).ConfigureAwait(false);
            // Ordinary pub/sub is broadcast to every node of a cluster: one subscription is enough.
            await subscriber.SubscribeAsync(_keys.PendingChannel, _pendingHandler).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                redis.ConnectionRestored += OnConnectionRestored;
                redis.ConnectionFailed += OnConnectionFailed;
                redis.ConfigurationChanged += OnConfigurationChanged;
            }
        }
        await CheckPrimariesAsync().ConfigureAwait(false);
    }

    /// <summary>Probes every primary whose expired events have not been seen yet, and forgets the nodes that are no
    /// longer primaries. Logs the primaries listened to whenever that set changes. One check runs at a time: taking the
    /// subscription anew must not overlap another check's probe.</summary>
    public async Task CheckPrimariesAsync()
    {
        try
        {
            await _checking.WaitAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return; // disposed meanwhile
        }
        try
        {
            var before = Endpoints;
            var toProbe = new List<EndPoint>();
            var primaries = new HashSet<string>(StringComparer.Ordinal);
            foreach (var server in _redis.GetServers())
            {
                if (!server.IsConnected || server.IsReplica)
                {
                    continue;
                }
                var name = Format(server.EndPoint);
                primaries.Add(name);
                if (!_publishing.GetValueOrDefault(name))
                {
                    toProbe.Add(server.EndPoint);
                }
            }
            var silent = await ProbeAllAsync(toProbe).ConfigureAwait(false);
            if (silent.Any(e => !_publishing.ContainsKey(Format(e))))
            {
                // A primary not seen silent before (at start, or back after a restart): the subscription
                // StackExchange.Redis counts as live may not be (see ResubscribeExpiredAsync). Take it anew and look
                // again before concluding that the server does not publish expired events.
                await ResubscribeExpiredAsync().ConfigureAwait(false);
                var count = silent.Count;
                silent = await ProbeAllAsync(silent).ConfigureAwait(false);
                if (silent.Count < count)
                {
                    _onGap("every primary"); // the subscription was down: events may have been missed
                }
            }
            await Task.WhenAll(silent.Select(SilentAsync)).ConfigureAwait(false);
            foreach (var name in _publishing.Keys.Where(n => !primaries.Contains(n)).ToList())
            {
                _publishing.TryRemove(name, out _);
            }
            var after = Endpoints;
            if (!before.SequenceEqual(after, StringComparer.Ordinal))
            {
                Log.Listening(_logger, after.Count, string.Join(", ", after));
            }
        }
        finally
        {
            _checking.Release();
        }
    }

    /// <summary>Probes <paramref name="endpoints"/> at once; marks those whose event arrived; returns the others.</summary>
    private async Task<List<EndPoint>> ProbeAllAsync(List<EndPoint> endpoints)
    {
        var arrived = await Task.WhenAll(endpoints.Select(ProbeAsync)).ConfigureAwait(false);
        var silent = new List<EndPoint>();
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (arrived[i])
            {
                _publishing[Format(endpoints[i])] = true;
            }
            else
            {
                silent.Add(endpoints[i]);
            }
        }
        return silent;
    }

    /// <summary>A primary whose probe event did not arrive: turned on where allowed, else one warning (until it is
    /// seen publishing, or comes back after a restart).</summary>
    private async Task SilentAsync(EndPoint endpoint)
    {
        var name = Format(endpoint);
        var wasKnownOff = _publishing.TryGetValue(name, out var before) && !before;
        _publishing[name] = false;
        if (_options.ConfigureKeyspaceNotifications && await TurnOnAsync(endpoint, name).ConfigureAwait(false)
            && await ProbeAsync(endpoint).ConfigureAwait(false))
        {
            _publishing[name] = true;
            return;
        }
        if (!wasKnownOff)
        {
            Log.NotificationsOff(_logger, name);
        }
    }

    /// <summary>Takes the expired-events subscription again. StackExchange.Redis subscribes a keyevent channel on every
    /// primary, but when a node's subscription connection comes back to the same endpoint (a restarted Redis) it still
    /// counts that node as subscribed and sends no SUBSCRIBE: its events would never arrive again. Dropping the
    /// subscription and taking it anew sends SUBSCRIBE to every primary (an event of another primary missed meanwhile
    /// is covered by the sweep that a gap asks for).</summary>
    private async Task ResubscribeExpiredAsync()
    {
        try
        {
            var subscriber = _redis.GetSubscriber();
            await subscriber.UnsubscribeAsync(_expiredChannel, _expiredHandler).ConfigureAwait(false);
            await subscriber.SubscribeAsync(_expiredChannel, _expiredHandler).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisErrors.IsUnavailable(ex) || ex is RedisException)
        {
            // Gone again: the next check takes it again; until then the deadline schedule and the sweep cover it.
        }
    }

    /// <summary>Writes a probe key with a 1 ms TTL on a tag <paramref name="endpoint"/> serves, reads it back once
    /// the TTL has passed (Redis expires a key it finds past its time on access, and publishes the event then), and
    /// waits for the event.</summary>
    private async Task<bool> ProbeAsync(EndPoint endpoint)
    {
        if (ProbeKeyOn(endpoint) is not { } probeKey)
        {
            return false;
        }
        var key = (string)probeKey!;
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _probes[key] = arrived;
        try
        {
            var db = _redis.GetDatabase();
            await db.StringSetAsync(key, "1", TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
            for (var attempt = 0; attempt < 20 && !arrived.Task.IsCompleted; attempt++)
            {
                await Task.Delay(5).ConfigureAwait(false);
                if (!await db.KeyExistsAsync(key).ConfigureAwait(false))
                {
                    break;
                }
            }
            var finished = await Task.WhenAny(arrived.Task, Task.Delay(ProbeTimeout, _disposed.Token)).ConfigureAwait(false);
            return finished == arrived.Task;
        }
        catch (Exception ex) when (RedisErrors.IsUnavailable(ex) || ex is RedisServerException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _probes.TryRemove(key, out _);
        }
    }

    /// <summary>The probe key of the first tag whose slot <paramref name="endpoint"/> serves (any tag on a standalone
    /// Redis), or null when it serves none of them.</summary>
    private RedisKey? ProbeKeyOn(EndPoint endpoint)
    {
        var redis = _redis;
        foreach (var tag in Tags.All)
        {
            var key = _keys.Probe(tag);
            try
            {
                if (Equals(redis.GetServer(key).EndPoint, endpoint))
                {
                    return key;
                }
            }
            catch (InvalidOperationException)
            {
                return null; // no connection serves that slot right now
            }
        }
        return null;
    }

    /// <summary>CONFIG SET notify-keyspace-events, adding "Ex", over a short-lived admin connection to that primary
    /// alone (the application's own connection need not allow admin commands).</summary>
    private async Task<bool> TurnOnAsync(EndPoint endpoint, string name)
    {
        var options = ConfigurationOptions.Parse(_redis.Configuration);
        options.EndPoints.Clear();
        options.EndPoints.Add(endpoint);
        options.AllowAdmin = true;
        options.AbortOnConnectFail = false;
        options.ClientName = "redis-sessions-config";
        // Talk to that node alone, even on a cluster (CLUSTER is what makes the client follow the topology).
        options.CommandMap = CommandMap.Create(new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "CLUSTER" }, available: false);
        try
        {
            using var admin = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            var server = admin.GetServer(endpoint);
            var config = await server.ConfigGetAsync("notify-keyspace-events").ConfigureAwait(false);
            var flags = config.Length > 0 ? config[0].Value ?? string.Empty : string.Empty;
            var wanted = WithExpiredEvents(flags);
            await server.ConfigSetAsync("notify-keyspace-events", wanted).ConfigureAwait(false);
            Log.NotificationsTurnedOn(_logger, name, flags, wanted);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or RedisServerException || RedisErrors.IsUnavailable(ex))
        {
            Log.NotificationsNotSet(_logger, name, ex.Message);
            return false;
        }
    }

    private void OnExpired(RedisChannel channel, RedisValue message)
    {
        if (!KeyNotification.TryParse(channel, message, out var notification))
        {
            return;
        }
        var key = (string?)notification.GetKey() ?? string.Empty;
        if (_probes.TryGetValue(key, out var probe))
        {
            probe.TrySetResult();
        }
        else if (_keys.TryParseWakeKey(key, out var tag))
        {
            _onExpiredDue(tag);
        }
    }

    private void OnPendingMessage(RedisChannel channel, RedisValue message)
    {
        if (_keys.TryParseTagBase((string?)message, out var tag))
        {
            _onPending(tag);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Log.MasterLost(_logger, Format(e.EndPoint), e.FailureType.ToString());
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription || _disposed.IsCancellationRequested)
        {
            return;
        }
        var name = Format(e.EndPoint);
        Log.MasterBack(_logger, name);
        _onGap(name);
        // A restarted Redis forgot a CONFIG SET: check again, retrying while the server is still loading.
        _publishing.TryRemove(name, out _);
        _ = RecheckAsync(e.EndPoint);
    }

    private void OnConfigurationChanged(object? sender, EndPointEventArgs e)
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        // A new primary (a promoted replica, a resharded cluster) may have expired keys before it was subscribed.
        _onGap(Format(e.EndPoint));
        _ = RecheckAsync(null);
    }

    /// <summary>Re-checks the primaries once <paramref name="endpoint"/> (when given) serves as a primary again.</summary>
    private async Task RecheckAsync(EndPoint? endpoint)
    {
        for (var attempt = 0; attempt < 40 && !_disposed.IsCancellationRequested; attempt++)
        {
            try
            {
                if (endpoint is null || _redis.GetServer(endpoint) is { IsConnected: true, IsReplica: false })
                {
                    await CheckPrimariesAsync().ConfigureAwait(false);
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
#pragma warning disable CA1031 // A background re-check: a failure only delays the warning or the CONFIG SET.
            catch (Exception)
#pragma warning restore CA1031
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            }
        }
    }

    /// <summary><paramref name="flags"/> plus what expired events on the keyevent channel need, keeping the rest.</summary>
    internal static string WithExpiredEvents(string flags)
    {
        var result = flags;
        if (!result.Contains('E', StringComparison.Ordinal))
        {
            result += "E";
        }
        if (!result.Contains('x', StringComparison.Ordinal) && !result.Contains('A', StringComparison.Ordinal))
        {
            result += "x";
        }
        return result;
    }

    private static string Format(EndPoint? endpoint) => endpoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        null => "?",
        _ => endpoint.ToString() ?? "?",
    };

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        await _disposed.CancelAsync().ConfigureAwait(false);
        var redis = _redis;
        if (Interlocked.Exchange(ref _started, 0) != 0)
        {
            redis.ConnectionRestored -= OnConnectionRestored;
            redis.ConnectionFailed -= OnConnectionFailed;
            redis.ConfigurationChanged -= OnConfigurationChanged;
        }
        try
        {
            var subscriber = redis.GetSubscriber();
            await subscriber.UnsubscribeAsync(_expiredChannel, _expiredHandler).ConfigureAwait(false);
            await subscriber.UnsubscribeAsync(_keys.PendingChannel, _pendingHandler).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisErrors.IsUnavailable(ex) || ex is ObjectDisposedException)
        {
        }
        _disposed.Dispose();
    }
}
