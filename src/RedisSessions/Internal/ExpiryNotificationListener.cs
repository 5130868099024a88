using System.Collections.Concurrent;
using System.Net;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// Subscribes to keyspace "expired" events on every master and turns expired bucket due keys into bucket sweeps. Keyspace
/// events are node-local on Redis Cluster (only the master that expires a key publishes it), so each master gets a
/// dedicated connection that talks to that node alone: CLUSTER and INFO are left out of its command map, which keeps
/// StackExchange.Redis from treating the node as part of a cluster and moving the subscription elsewhere. The set of
/// masters is re-read from the shared connection on every <see cref="RefreshAsync"/> (topology changes, failover).
/// A dedicated connection that comes back after a loss reports a gap (events were missed: the caller sweeps
/// everything) and checks <c>notify-keyspace-events</c> again (a restarted Redis forgets a CONFIG SET).
/// Notifications are hints: a missed one only delays the termination until the next deadline refresh or sweep.
/// </summary>
internal sealed partial class ExpiryNotificationListener : IAsyncDisposable
{
    private static readonly HashSet<string> StandaloneOnly = new(StringComparer.OrdinalIgnoreCase) { "CLUSTER", "INFO" };
    private readonly SessionManager _manager;
    private readonly Action<string> _onExpiredDue;
    private readonly Action<string> _onPending;
    private readonly Action<string> _onGap;
    private readonly Action _onLost;
    private readonly ConcurrentDictionary<string, ConnectionMultiplexer> _connections = new(StringComparer.Ordinal);
    private readonly Action<RedisChannel, RedisValue> _pendingHandler;
    private int _subscribedPending;
    private bool _refreshed;

    /// <param name="manager">The manager whose keys are listened to.</param>
    /// <param name="onExpiredDue">Called with the bucket of every expired due key.</param>
    /// <param name="onPending">Called with the bucket of every termination announced on the pending channel.</param>
    /// <param name="onGap">Called with a master's endpoint when its connection came back after a loss.</param>
    /// <param name="onLost">Called when a master's connection is lost (see <see cref="Degraded"/>).</param>
    public ExpiryNotificationListener(SessionManager manager, Action<string> onExpiredDue, Action<string> onPending, Action<string> onGap, Action onLost)
    {
        _onLost = onLost;
        _manager = manager;
        _onExpiredDue = onExpiredDue;
        _onPending = onPending;
        _onGap = onGap;
        _pendingHandler = OnPendingMessage;
    }

    /// <summary>True while a master's dedicated connection is down (a restart, a failover under way): the caller
    /// refreshes the topology more often until it is over.</summary>
    public bool Degraded => _connections.Values.Any(c => !c.IsConnected);

    /// <summary>The masters listened to (host:port).</summary>
    public IReadOnlyCollection<string> Endpoints => _connections.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Brings the set of dedicated connections in line with the masters the shared connection knows.</summary>
    public async Task RefreshAsync()
    {
        await SubscribePendingAsync().ConfigureAwait(false);
        var redis = _manager.Redis;
        if (_refreshed && redis.GetEndPoints().Any(e => IsMaster(redis.GetServer(e)) && !redis.GetServer(e).IsConnected))
        {
            // A master is unreachable: perhaps a failover is under way. Have the shared connection read the topology
            // again so a promoted replica shows up as a master (StackExchange.Redis would otherwise notice later).
            await redis.ConfigureAsync().ConfigureAwait(false);
        }
        var wanted = new Dictionary<string, EndPoint>(StringComparer.Ordinal);
        var owners = ClusterSlotOwners(redis);
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            var name = Format(endpoint);
            // A master the shared connection lost for a moment stays (its dedicated connection reconnects by itself),
            // unless the cluster says it owns no slot any more (its replica took over).
            if (IsMaster(server) && (server.IsConnected || (_connections.ContainsKey(name) && (owners is null || owners.ContainsKey(name)))))
            {
                wanted[name] = endpoint;
            }
        }
        foreach (var (name, endpoint) in owners ?? [])
        {
            wanted.TryAdd(name, endpoint);
        }
        var added = false;
        foreach (var (name, endpoint) in wanted)
        {
            if (!_connections.ContainsKey(name))
            {
                added |= await ConnectAsync(name, endpoint).ConfigureAwait(false);
            }
        }
        var changed = added;
        foreach (var name in _connections.Keys)
        {
            if (!wanted.ContainsKey(name) && _connections.TryRemove(name, out var gone))
            {
                changed = true;
                await gone.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
                gone.Dispose();
            }
        }
        if (changed)
        {
            Log.Listening(_manager.Logger, _connections.Count, string.Join(", ", Endpoints));
            if (_refreshed && added)
            {
                // A master that was not listened to until now (a promoted replica, a new node) may have expired keys
                // before this subscription existed.
                _onGap(string.Join(", ", Endpoints));
            }
        }
        _refreshed = true;
    }

    /// <summary>On a cluster, the slot owners as the masters report them (null on a standalone Redis). A promoted
    /// replica shows up here while the shared connection still calls it a replica (it only learns a node's role when
    /// it reconnects to it). A node's view counts only while that node owns slots in it: a replica's is stale.</summary>
    private static Dictionary<string, EndPoint>? ClusterSlotOwners(IConnectionMultiplexer redis)
    {
        Dictionary<string, EndPoint>? owners = null;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (!server.IsConnected || server.ServerType != ServerType.Cluster || server.ClusterConfiguration is not { } view)
            {
                continue;
            }
            if (view.Nodes.FirstOrDefault(n => n.IsMyself) is not { } myself || !IsSlotOwner(myself))
            {
                continue;
            }
            owners ??= new Dictionary<string, EndPoint>(StringComparer.Ordinal);
            foreach (var node in view.Nodes)
            {
                if (IsSlotOwner(node) && node.EndPoint is { } owner)
                {
                    owners.TryAdd(Format(owner), owner);
                }
            }
        }
        return owners;
    }

#pragma warning disable CS0618 // IsSlave is IsReplica in StackExchange.Redis 2.x; 1.2.6 only has IsSlave.
    private static bool IsMaster(IServer server) => !server.IsSlave;

    private static bool IsSlotOwner(ClusterNode node) => !node.IsSlave && node.Slots.Count > 0;
#pragma warning restore CS0618

    private async Task SubscribePendingAsync()
    {
        if (Volatile.Read(ref _subscribedPending) != 0)
        {
            return;
        }
        // Ordinary pub/sub is broadcast to every node of a cluster: the shared connection is enough.
        await _manager.Redis.GetSubscriber().SubscribeAsync(_manager.Keys.PendingChannel, _pendingHandler).ConfigureAwait(false);
        Volatile.Write(ref _subscribedPending, 1);
    }

    private void OnPendingMessage(RedisChannel channel, RedisValue message)
    {
        if (SessionKeys.TryParseBucketBase((string?)message ?? string.Empty, out var bucket))
        {
            _onPending(bucket);
        }
    }

    private async Task<bool> ConnectAsync(string name, EndPoint endpoint)
    {
        var options = ConfigurationOptions.Parse(_manager.Redis.Configuration);
        options.EndPoints.Clear();
        options.EndPoints.Add(endpoint);
        options.AbortOnConnectFail = false;
        options.ClientName = "redis-sessions-listener";
        options.AllowAdmin = true; // CONFIG GET / SET notify-keyspace-events
        options.CommandMap = CommandMap.Create(StandaloneOnly, available: false);
        var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        try
        {
            var channel = new RedisChannel($"__keyevent@{_manager.Db.Database}__:expired", RedisChannel.PatternMode.Literal);
            await connection.GetSubscriber().SubscribeAsync(channel, (eventChannel, key) =>
            {
                if (_manager.Keys.TryParseDueKey((string?)key ?? string.Empty, out var bucket))
                {
                    _onExpiredDue(bucket);
                }
            }).ConfigureAwait(false);
        }
        catch
        {
            // The master is unreachable right now: the next refresh tries again.
            connection.Dispose();
            throw;
        }
        if (!_connections.TryAdd(name, connection))
        {
            connection.Dispose();
            return false;
        }
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Log.MasterLost(_manager.Logger, name, e.FailureType.ToString());
                _onLost();
            }
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Log.MasterBack(_manager.Logger, name);
                _onGap(name);
            }
            // A restarted Redis forgot a CONFIG SET. The check goes over the interactive connection, which may come
            // back after the subscription one: check on either, and retry while the server is still unreachable.
            _ = CheckNotificationsUntilReadAsync(connection, endpoint, name);
        };
        await CheckNotificationsAsync(connection, endpoint, name).ConfigureAwait(false);
        return true;
    }

    private async Task CheckNotificationsUntilReadAsync(ConnectionMultiplexer connection, EndPoint endpoint, string name)
    {
        for (var attempt = 0; attempt < 40 && _connections.TryGetValue(name, out var current) && current == connection; attempt++)
        {
            if (await CheckNotificationsAsync(connection, endpoint, name, logFailure: attempt == 0).ConfigureAwait(false))
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
    }

    /// <summary>Warns when the master does not publish expired events (and, when allowed, turns them on). False when
    /// the setting could not be read (the server is unreachable or refused CONFIG GET).</summary>
    private async Task<bool> CheckNotificationsAsync(ConnectionMultiplexer connection, EndPoint endpoint, string name, bool logFailure = true)
    {
        try
        {
            var server = connection.GetServer(endpoint);
            var config = await server.ConfigGetAsync("notify-keyspace-events").ConfigureAwait(false);
            var flags = config.Length > 0 ? config[0].Value ?? string.Empty : string.Empty;
            if (PublishesExpiredEvents(flags))
            {
                return true;
            }
            if (!_manager.Settings.ConfigureKeyspaceNotifications)
            {
                Log.NotificationsOff(_manager.Logger, name, flags);
                return true;
            }
            var wanted = WithExpiredEvents(flags);
            try
            {
                await server.ConfigSetAsync("notify-keyspace-events", wanted).ConfigureAwait(false);
                Log.NotificationsTurnedOn(_manager.Logger, name, flags, wanted);
            }
            catch (RedisServerException ex)
            {
                Log.NotificationsNotSet(_manager.Logger, name, flags, ex.Message);
            }
            return true;
        }
        catch (Exception ex) when (ex is RedisServerException || RedisConnector.IsUnavailable(ex))
        {
            if (logFailure)
            {
                _manager.LogNotificationsUnknown(name, ex.Message);
            }
            return false;
        }
    }

    /// <summary>True when <paramref name="flags"/> (a notify-keyspace-events value) publish expired events on the
    /// keyevent channel: E plus x (or A, which includes x).</summary>
    internal static bool PublishesExpiredEvents(string flags) =>
        flags.Contains('E', StringComparison.Ordinal) && (flags.Contains('x', StringComparison.Ordinal) || flags.Contains('A', StringComparison.Ordinal));

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

    private static string Format(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _connections.Keys)
        {
            if (_connections.TryRemove(name, out var connection))
            {
                await connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
                connection.Dispose();
            }
        }
        if (Interlocked.Exchange(ref _subscribedPending, 0) != 0)
        {
            try
            {
                await _manager.Redis.GetSubscriber().UnsubscribeAsync(_manager.Keys.PendingChannel, _pendingHandler).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisConnector.IsUnavailable(ex))
            {
            }
        }
    }
}
