using System.Globalization;
using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace RedisSessions.Administration;

/// <summary>The termination stream and the listeners' heartbeats.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>How often <see cref="FollowEventsAsync"/> looks for new events unless told otherwise.</summary>
    private static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Most events one read of the stream returns.</summary>
    private const int EventPage = 1000;

    /// <summary>The newest <paramref name="count"/> termination events (XREVRANGE), oldest first. Empty when the stream
    /// is empty or missing (<see cref="SessionOptions.EventStreamMaxLength"/> 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<IReadOnlyList<TerminationEvent>> ReadLatestEventsAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        cancellationToken.ThrowIfCancellationRequested();
        if (count == 0)
        {
            return [];
        }
        return await RunAsync("admin-events", async () =>
        {
            var db = await DbAsync().ConfigureAwait(false);
            var entries = await db.StreamRangeAsync(Keys.Events, "-", "+", count, Order.Descending).ConfigureAwait(false);
            var events = entries.Select(ToEvent).ToList();
            events.Reverse();
            return (IReadOnlyList<TerminationEvent>)events;
        }).ConfigureAwait(false);
    }

    /// <summary>Up to <paramref name="count"/> (defaults to 1,000) termination events that came after the one with id
    /// <paramref name="afterId"/> (XRANGE with an exclusive start), oldest first.</summary>
    /// <exception cref="ArgumentException"><paramref name="afterId"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<IReadOnlyList<TerminationEvent>> ReadEventsAfterAsync(string afterId, int count = EventPage, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(afterId);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        cancellationToken.ThrowIfCancellationRequested();
        return await RunAsync("admin-events", async () =>
        {
            var db = await DbAsync().ConfigureAwait(false);
            var entries = await db.StreamRangeAsync(Keys.Events, "(" + afterId, "+", count, Order.Ascending).ConfigureAwait(false);
            return (IReadOnlyList<TerminationEvent>)entries.Select(ToEvent).ToList();
        }).ConfigureAwait(false);
    }

    /// <summary>Every termination event after <paramref name="afterId"/> (null: after the newest one now), as they
    /// arrive, until <paramref name="cancellationToken"/> is cancelled (then it throws
    /// <see cref="OperationCanceledException"/>). Polls with XRANGE every <paramref name="pollInterval"/> (defaults to
    /// 250 ms) while nothing is new; never a blocking XREAD, which would hold a connection of the multiplexer.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pollInterval"/> is not positive.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async IAsyncEnumerable<TerminationEvent> FollowEventsAsync(string? afterId = null, TimeSpan? pollInterval = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? DefaultPollInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero, nameof(pollInterval));
        var last = afterId ?? ((await ReadLatestEventsAsync(1, cancellationToken).ConfigureAwait(false)) is [var newest] ? newest.Id : "0-0");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = await ReadEventsAfterAsync(last, EventPage, cancellationToken).ConfigureAwait(false);
            foreach (var e in next)
            {
                yield return e;
            }
            if (next.Count > 0)
            {
                last = next[^1].Id;
                continue;
            }
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The heartbeats of the processes that handle terminations (the worker, apps with
    /// <see cref="SessionOptions.EnableAutoCleanup"/> and callbacks), ordered by node. Heartbeat keys carry no hash
    /// tag, so every primary is asked with <c>SCAN MATCH {prefix}:heartbeat:*</c> (never KEYS): a pass over each
    /// primary's keyspace.</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<IReadOnlyList<ListenerHeartbeat>> GetListenersAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await RunAsync("admin-listeners", async () =>
        {
            var redis = await _manager.Connection.GetAsync().ConfigureAwait(false);
            var db = redis.GetDatabase();
            var prefix = HeartbeatKeyPattern[..^1];
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var server in Primaries(redis))
            {
                await foreach (var key in server.KeysAsync(db.Database, HeartbeatKeyPattern, pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    keys.Add((string)key!);
                }
            }
            var now = await RedisNowAsync(db).ConfigureAwait(false);
            var reads = keys.Select(key => (Key: key, Fields: db.HashGetAllAsync(key), Ttl: db.KeyTimeToLiveAsync(key))).ToList();
            var beats = new List<ListenerHeartbeat>();
            foreach (var (key, fieldsRead, ttlRead) in reads)
            {
                var fields = (await fieldsRead.ConfigureAwait(false)).ToDictionary(f => (string)f.Name!, f => (string?)f.Value ?? string.Empty, StringComparer.Ordinal);
                var ttl = await ttlRead.ConfigureAwait(false);
                if (fields.Count == 0)
                {
                    continue; // expired between SCAN and HGETALL
                }
                beats.Add(new ListenerHeartbeat
                {
                    Key = key,
                    Node = fields.GetValueOrDefault("node") ?? key[prefix.Length..],
                    Host = fields.GetValueOrDefault("host") ?? string.Empty,
                    ProcessId = fields.GetValueOrDefault("pid") ?? string.Empty,
                    StartedAt = Time(fields.GetValueOrDefault("started")),
                    LastSeen = Time(fields.GetValueOrDefault("last")),
                    ReadAt = At(now),
                    KeyTimeToLive = ttl,
                });
            }
            return (IReadOnlyList<ListenerHeartbeat>)beats.OrderBy(b => b.Node, StringComparer.Ordinal).ThenBy(b => b.Key, StringComparer.Ordinal).ToList();
        }).ConfigureAwait(false);
    }

    /// <summary>The connected primaries: where a scan of the keyspace goes.</summary>
    internal static List<IServer> Primaries(IConnectionMultiplexer redis)
    {
        var primaries = new List<IServer>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsConnected && !server.IsReplica)
            {
                primaries.Add(server);
            }
        }
        if (primaries.Count == 0)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No primary is connected.");
        }
        return primaries;
    }

    private static TerminationEvent ToEvent(StreamEntry entry)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in entry.Values)
        {
            fields[(string)value.Name!] = (string?)value.Value ?? string.Empty;
        }
        return new TerminationEvent
        {
            Id = (string)entry.Id!,
            SessionId = fields.GetValueOrDefault("session") ?? string.Empty,
            UserId = fields.GetValueOrDefault("user") ?? string.Empty,
            Reason = fields.GetValueOrDefault("reason") ?? string.Empty,
            TerminatedAt = Time(fields.GetValueOrDefault("at")),
            CreatedAt = Time(fields.GetValueOrDefault("created")),
            ExpiresAt = Time(fields.GetValueOrDefault("expires")),
            Node = fields.GetValueOrDefault("node") ?? string.Empty,
            HandledBy = fields.GetValueOrDefault("handled_by") ?? string.Empty,
            Attempt = long.TryParse(fields.GetValueOrDefault("attempt"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempt) ? attempt : 0,
        };
    }

    private static DateTimeOffset? Time(string? unixMs) =>
        long.TryParse(unixMs, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
