using System.Collections.Concurrent;
using System.Net;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// Subscribes to keyspace "expired" events on every master (they are node-local on Redis Cluster, so each master
/// gets a dedicated connection that does not follow the cluster) and turns expired timer keys into bucket sweeps.
/// Notifications are hints: a missed one only delays the termination until the next full sweep.
/// </summary>
internal sealed class ExpiryNotificationListener : IAsyncDisposable
{
    private readonly SessionManager _manager;
    private readonly Action<string> _onBucket;
    private readonly ConcurrentDictionary<string, ConnectionMultiplexer> _connections = new(StringComparer.Ordinal);
    private bool _checkedConfig;
    private bool _subscribedPending;

    public ExpiryNotificationListener(SessionManager manager, Action<string> onBucket)
    {
        _manager = manager;
        _onBucket = onBucket;
    }

    public IReadOnlyCollection<string> Endpoints => _connections.Keys.ToArray();

    public async Task RefreshAsync()
    {
        var redis = _manager.Redis;
        var masters = new List<EndPoint>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
#pragma warning disable CS0618 // IsSlave is IsReplica in StackExchange.Redis 2.x; 1.2.6 only has IsSlave.
            if (server.IsConnected && !server.IsSlave)
#pragma warning restore CS0618
            {
                masters.Add(endpoint);
            }
        }
        var wanted = masters.ToDictionary(Format, e => e, StringComparer.Ordinal);
        foreach (var (name, endpoint) in wanted)
        {
            if (!_connections.ContainsKey(name))
            {
                await ConnectAsync(name, endpoint).ConfigureAwait(false);
            }
        }
        foreach (var name in _connections.Keys)
        {
            if (!wanted.ContainsKey(name) && _connections.TryRemove(name, out var gone))
            {
                await gone.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
                gone.Dispose();
            }
        }
    }

    private async Task ConnectAsync(string name, EndPoint endpoint)
    {
        var options = ConfigurationOptions.Parse(_manager.Redis.Configuration);
        options.EndPoints.Clear();
        options.EndPoints.Add(endpoint);
        options.AbortOnConnectFail = false;
        options.ClientName = "redis-sessions-listener";
        options.AllowAdmin = true; // CONFIG GET notify-keyspace-events
        // Without CLUSTER the client treats the node as a standalone server: the subscription stays on this master.
        options.CommandMap = CommandMap.Create(new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "CLUSTER" }, available: false);
        var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        if (!_connections.TryAdd(name, connection))
        {
            connection.Dispose();
            return;
        }
        var database = _manager.Db.Database;
        var channel = new RedisChannel($"__keyevent@{database}__:expired", RedisChannel.PatternMode.Literal);
        await connection.GetSubscriber().SubscribeAsync(channel, (eventChannel, key) =>
        {
            if (_manager.Keys.TryParseTimerKey((string?)key ?? string.Empty, out var bucket, out _))
            {
                _onBucket(bucket);
            }
        }).ConfigureAwait(false);
        if (!_subscribedPending)
        {
            _subscribedPending = true;
            await _manager.Redis.GetSubscriber().SubscribeAsync(_manager.Keys.PendingChannel, (pendingChannel, message) =>
            {
                if (SessionKeys.TryParseBucketBase((string?)message ?? string.Empty, out var bucket))
                {
                    _onBucket(bucket);
                }
            }).ConfigureAwait(false);
        }
        if (!_checkedConfig)
        {
            _checkedConfig = true;
            await CheckNotificationsAsync(connection, endpoint).ConfigureAwait(false);
        }
    }

    private async Task CheckNotificationsAsync(ConnectionMultiplexer connection, EndPoint endpoint)
    {
        try
        {
            var server = connection.GetServer(endpoint);
            var config = await server.ConfigGetAsync("notify-keyspace-events").ConfigureAwait(false);
            var flags = config.Length > 0 ? config[0].Value : string.Empty;
            var on = flags.Contains('E', StringComparison.Ordinal) && (flags.Contains('x', StringComparison.Ordinal) || flags.Contains('A', StringComparison.Ordinal));
            if (!on)
            {
                _manager.LogNotificationsOff(Format(endpoint), flags);
            }
        }
        catch (RedisServerException ex)
        {
            _manager.LogNotificationsUnknown(Format(endpoint), ex.Message);
        }
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
        try
        {
            await _manager.Redis.GetSubscriber().UnsubscribeAsync(_manager.Keys.PendingChannel).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnector.IsUnavailable(ex))
        {
        }
    }
}
