using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions;

/// <summary>
/// Creates, loads and ends sessions stored in Redis. Thread-safe; share one per process (it is what
/// <c>AddRedisSessions</c> registers). Every write is one atomic Lua script whose keys share a hash slot, so it works
/// the same on a standalone Redis and on Redis Cluster. With <see cref="SessionOptions.EnableAutoCleanup"/> it also
/// runs the background sweep and expiry listener that end sessions whose time is up and run the termination
/// callbacks, exactly once across every process sharing the Redis.
/// </summary>
public sealed partial class SessionManager : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsRedis;
    private readonly SessionOptions _options;
    private readonly SessionKeys _keys;
    private readonly ILogger _logger;
    private readonly TerminationPipeline _terminations;
    private readonly NodeRegistry _nodes;
    private SessionSweeper? _sweeper;
    private readonly SessionIdTracker? _ownSessions;
    private long _created;
    private readonly RedisValue _pendingChannel;
    private int _shutdown;

    /// <summary>Creates a manager over an existing connection (which it does not dispose).</summary>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is out of range (the message names it).</exception>
    public SessionManager(IConnectionMultiplexer redis, SessionOptions options)
        : this(redis, options, logger: null, timeProvider: null)
    {
    }

    /// <summary>Creates a manager over an existing connection (which it does not dispose), with logging and a clock.</summary>
    public SessionManager(IConnectionMultiplexer redis, SessionOptions options, ILogger<SessionManager>? logger, TimeProvider? timeProvider = null)
        : this(redis, options, (ILogger?)logger, timeProvider, ownsRedis: false)
    {
    }

    private SessionManager(IConnectionMultiplexer redis, SessionOptions options, ILogger? logger, TimeProvider? timeProvider, bool ownsRedis)
        : this(redis, options, logger, timeProvider, ownsRedis, startBackground: options?.EnableAutoCleanup ?? false)
    {
    }

    /// <summary>The constructor behind every other. <paramref name="startBackground"/> false lets a host run the
    /// background sweep as a hosted service instead (<see cref="StartAutoCleanup"/>).</summary>
    internal SessionManager(IConnectionMultiplexer redis, SessionOptions options, ILogger? logger, TimeProvider? timeProvider, bool ownsRedis, bool startBackground)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _redis = redis;
        _ownsRedis = ownsRedis;
        _options = options.Clone();
        _keys = new SessionKeys(_options.KeyPrefix);
        _logger = logger ?? NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        _terminations = new TerminationPipeline(this);
        _nodes = new NodeRegistry(this);
        _pendingChannel = (string)_keys.PendingChannel!;
        if (_options.TerminateOnShutdown)
        {
            _ownSessions = new SessionIdTracker();
        }
        if (startBackground)
        {
            StartAutoCleanup();
        }
    }

    /// <summary>Starts the background sweep and expiry listener (once).</summary>
    internal void StartAutoCleanup()
    {
        var sweeper = new SessionSweeper(this);
        if (Interlocked.CompareExchange(ref _sweeper, sweeper, null) is null)
        {
            sweeper.Start();
        }
    }

    /// <summary>Connects to Redis (<paramref name="redisConfiguration"/>, a StackExchange.Redis configuration string)
    /// and creates a manager that owns the connection. A Redis that is down at start is not an error: operations fail
    /// with <see cref="SessionStoreUnavailableException"/> until it is back.</summary>
    public static Task<SessionManager> ConnectAsync(string redisConfiguration, SessionOptions options, ILogger<SessionManager>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(redisConfiguration);
        ArgumentNullException.ThrowIfNull(options);
        return ConnectCoreAsync(redisConfiguration, options, logger, timeProvider);
    }

    /// <summary>Connects to <see cref="SessionOptions.Configuration"/> (see <see cref="ConnectAsync(string, SessionOptions, ILogger{SessionManager}?, TimeProvider?)"/>).</summary>
    public static Task<SessionManager> ConnectAsync(SessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (string.IsNullOrWhiteSpace(options.Configuration))
        {
            throw new ArgumentException("SessionOptions.Configuration must name the Redis server(s), e.g. \"localhost:6379\".", nameof(options));
        }
        return ConnectCoreAsync(options.Configuration, options, null, null);
    }

    private static async Task<SessionManager> ConnectCoreAsync(string configuration, SessionOptions options, ILogger? logger, TimeProvider? timeProvider)
    {
        options.Validate();
        var redis = await RedisConnector.ConnectAsync(configuration).ConfigureAwait(false);
        try
        {
            return new SessionManager(redis, options, logger, timeProvider, ownsRedis: true);
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>The clock the manager uses for every timestamp it writes.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>A copy of the options in force.</summary>
    public SessionOptions Options => _options.Clone();

    /// <summary>True while the background sweep runs (<see cref="SessionOptions.EnableAutoCleanup"/>).</summary>
    public bool AutoCleanupRunning => _sweeper?.IsRunning ?? false;

    internal IConnectionMultiplexer Redis => _redis;
    internal SessionKeys Keys => _keys;
    internal ILogger Logger => _logger;
    internal SessionOptions Settings => _options;
    internal IDatabase Db => _redis.GetDatabase();
    internal TerminationPipeline Terminations => _terminations;
    internal NodeRegistry Nodes => _nodes;
    internal long NowMs => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Creates a session for <paramref name="userId"/>, enforcing <see cref="SessionOptions.MaxSessionsPerUser"/>
    /// inside Redis. Sessions of the user whose time is up are ended first (they never count); with
    /// <see cref="SessionLimitPolicy.EvictOldest"/> the oldest live ones are terminated (reason
    /// <see cref="TerminationReason.Evicted"/>) to make room, and their callbacks have run when this returns.</summary>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is null, empty or white space, or a data key is null.</exception>
    /// <exception cref="SessionLimitExceededException">The user is at the limit and the policy is <see cref="SessionLimitPolicy.RejectNew"/>.</exception>
    /// <exception cref="SessionDataTooLargeException">The data is over <see cref="SessionOptions.MaxDataBytes"/>.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached; nothing was written.</exception>
    public async Task<Session> CreateSessionAsync(string userId, IReadOnlyDictionary<string, string>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        var values = DataArguments(data);
        var dataSize = values.Sum(v => (long)System.Text.Encoding.UTF8.GetByteCount((string)v!));
        if (dataSize > _options.MaxDataBytes)
        {
            throw new SessionDataTooLargeException(dataSize, _options.MaxDataBytes);
        }
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfShutDown();
        var started = Stopwatch.GetTimestamp();

        var bucket = SessionKeys.BucketOf(userId);
        var now = NowMs;
        var absolute = _options.AbsoluteTimeout is { } abs ? (long)abs.TotalMilliseconds : 0;
        var claimUntil = _terminations.ClaimUntil(now);
        var nodeId = await _nodes.OwnIdAsync().ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var sessionId = SessionKeys.NewSessionId(bucket);
            var args = new RedisValue[12 + values.Count];
            args[0] = sessionId;
            args[1] = userId;
            args[2] = now;
            args[3] = (long)_options.InactiveTimeout.TotalMilliseconds;
            args[4] = absolute;
            args[5] = _options.MaxSessionsPerUser;
            args[6] = _options.LimitPolicy == SessionLimitPolicy.RejectNew ? "reject" : "evict";
            args[7] = RetentionMs;
            args[8] = _options.NodeName;
            args[9] = claimUntil;
            args[10] = _pendingChannel;
            args[11] = nodeId;
            values.CopyTo(args, 12);
            var result = await RunAsync("create", () => SessionScripts.Create.EvaluateAsync(Db,
                [_keys.Session(bucket, sessionId), _keys.Users(bucket), _keys.Expiry(bucket), _keys.Due(bucket), _keys.Pending(bucket),
                 _keys.Count(bucket)], args)).ConfigureAwait(false);
            var items = (RedisResult[])result!;
            var status = (string)items[0]!;
            if (status == "exists" && attempt < 3)
            {
                continue; // a 128-bit id collision: astronomically unlikely, but never overwrite
            }
            await _terminations.HandleSnapshotsAsync(bucket, items, 2, cancellationToken).ConfigureAwait(false);
            if (status == "limit")
            {
                var live = (int)items[1];
                SessionMetrics.Rejected.Add(1);
                Log.SessionLimitReached(_logger, userId, live, _options.MaxSessionsPerUser);
                throw new SessionLimitExceededException(userId, live, _options.MaxSessionsPerUser);
            }
            if (status != "ok")
            {
                throw new SessionException($"Could not create a session: unexpected script answer '{status}'.");
            }
            var expires = (long)items[1];
            var record = new SessionRecord
            {
                SessionId = sessionId,
                UserId = userId,
                CreatedMs = now,
                ExpiryOffset = expires - now,
                AbsoluteOffset = absolute > 0 ? absolute : -1,
                NodeId = nodeId,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(now),
                LastActivity = DateTimeOffset.FromUnixTimeMilliseconds(now),
                ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires),
                AbsoluteExpiresAt = absolute > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(now + absolute) : null,
                IdleTimeout = _options.InactiveTimeout,
                Node = _options.NodeName,
                Data = data is null ? new Dictionary<string, string>() : new Dictionary<string, string>(data, StringComparer.Ordinal),
            };
            Interlocked.Increment(ref _created);
            if (_ownSessions is not null)
            {
                _ownSessions.Add(sessionId);
                if (_ownSessions.TryStartPrune())
                {
                    _ = PruneOwnSessionsAsync(_ownSessions);
                }
            }
            SessionMetrics.Created.Add(1);
            Record("create", started);
            Log.SessionCreated(_logger, sessionId, userId, _options.NodeName, record.ExpiresAt);
            return new Session(this, record);
        }
    }

    /// <summary>Loads a session for use: counts as activity (the expiry slides). Null when the id is unknown, malformed,
    /// expired or terminated. A session whose time is up is never returned, even before Redis deletes anything.</summary>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is null, empty or white space.</exception>
    public async Task<Session?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        var resolution = (long)_options.EffectiveActivityResolution.TotalMilliseconds;
        // One HGETALL. The expiry is written only when sliding it would move it by at least the resolution; then one
        // small script re-checks and slides.
        // The request path: no closure, no extra async layer.
        HashEntry[] entries;
        try
        {
            entries = await _redis.GetDatabase().HashGetAllAsync(_keys.Session(bucket, sessionId)).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnector.IsUnavailable(ex))
        {
            throw Unavailable("get", ex);
        }
        var record = SessionRecord.FromHash(sessionId, entries, _options.InactiveTimeout);
        if (record is null)
        {
            return null;
        }
        var now = NowMs;
        if (record.ExpiresMs > now && !SlideDue(record, now, resolution))
        {
            var resolving = _nodes.ResolveAsync(record);
            if (!resolving.IsCompletedSuccessfully)
            {
                await resolving.ConfigureAwait(false);
            }
            Record("get", started);
            return new Session(this, record);
        }
        var slid = await TouchCoreAsync(bucket, sessionId, resolution, cancellationToken).ConfigureAwait(false);
        Record("get", started);
        if (slid is not { } s)
        {
            return null;
        }
        record = record.WithExpiry(s.ExpiryOffset, s.LastOffset);
        await _nodes.ResolveAsync(record).ConfigureAwait(false);
        return new Session(this, record);
    }

    /// <summary>Whether sliding the expiry now would move it by at least <paramref name="resolutionMs"/> (mirrors the
    /// <c>slide</c> function of the scripts).</summary>
    private bool SlideDue(SessionRecord record, long now, long resolutionMs)
    {
        var target = now + (long)_options.InactiveTimeout.TotalMilliseconds - record.CreatedMs;
        if (record.AbsoluteOffset >= 0 && record.AbsoluteOffset < target)
        {
            target = record.AbsoluteOffset;
        }
        return target > record.ExpiryOffset && target - record.ExpiryOffset >= resolutionMs;
    }

    /// <summary>Reads a session without counting it as activity (for admin tools). Null when unknown, expired or terminated.</summary>
    public async Task<Session?> PeekSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return null;
        }
        var entries = await RunAsync("peek", () => Db.HashGetAllAsync(_keys.Session(bucket, sessionId))).ConfigureAwait(false);
        var record = SessionRecord.FromHash(sessionId, entries, _options.InactiveTimeout);
        if (record is null || record.ExpiresMs <= NowMs)
        {
            return null;
        }
        await _nodes.ResolveAsync(record).ConfigureAwait(false);
        return new Session(this, record);
    }

    /// <summary>The user's live sessions, oldest first. Reads the user's index, never the keyspace; does not count as activity.</summary>
    public async Task<IReadOnlyList<Session>> GetUserSessionsAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        cancellationToken.ThrowIfCancellationRequested();
        var now = NowMs;
        var result = await RunAsync("list-user", () => SessionScripts.ListUser.EvaluateAsync(Db,
            [_keys.Users(SessionKeys.BucketOf(userId))], [userId, now])).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        var sessions = new List<Session>(items.Length / 2);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            var record = SessionRecord.FromResult((string)items[i]!, items[i + 1], _options.InactiveTimeout);
            if (record is not null && record.UserId == userId && record.ExpiresMs > now)
            {
                await _nodes.ResolveAsync(record).ConfigureAwait(false);
                sessions.Add(new Session(this, record));
            }
        }
        // The index lists a user's sessions in creation order.
        return sessions;
    }

    /// <summary>Records activity now, sliding the expiry. False when the session is gone (a late call never brings an
    /// expired or terminated session back).</summary>
    public async Task<bool> UpdateSessionActivityAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await TouchAsync(sessionId, cancellationToken).ConfigureAwait(false) is not null;

    internal async Task<Slide?> TouchAsync(string sessionId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        var record = await TouchCoreAsync(bucket, sessionId, 0, cancellationToken).ConfigureAwait(false);
        Record("touch", started);
        return record;
    }

    private async Task<Slide?> TouchCoreAsync(string bucket, string sessionId, long resolutionMs, CancellationToken cancellationToken)
    {
        var now = NowMs;
        var result = await RunAsync("touch", () => SessionScripts.Touch.EvaluateAsync(Db, [_keys.Session(bucket, sessionId)],
            [sessionId, now, (long)_options.InactiveTimeout.TotalMilliseconds, RetentionMs, resolutionMs, _options.NodeName,
             _terminations.ClaimUntil(now), _pendingChannel])).ConfigureAwait(false);
        var slide = await ReadSlideAnswerAsync(bucket, sessionId, (RedisResult[])result!, cancellationToken).ConfigureAwait(false);
        if (slide is not null)
        {
            Log.SessionRenewed(_logger, sessionId, slide.Value.ExpiresAt);
        }
        return slide;
    }

    /// <summary>Sets one data value (counts as activity). Null when the session is gone.</summary>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>; nothing was written.</exception>
    internal Task<Slide?> SetDataAsync(string sessionId, string key, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return ChangeDataAsync(sessionId, "set", [key, value], cancellationToken);
    }

    internal Task<Slide?> RemoveDataAsync(string sessionId, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ChangeDataAsync(sessionId, "remove", [key], cancellationToken);
    }

    /// <summary>Sets data values of a session in one atomic write (counts as activity). False when the session is gone.</summary>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>; nothing was written.</exception>
    public async Task<bool> SetSessionDataAsync(string sessionId, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var args = DataArguments(values);
        return await ChangeDataAsync(sessionId, "set", [.. args], cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task<Slide?> ChangeDataAsync(string sessionId, string operation, RedisValue[] arguments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        if (operation == "set")
        {
            long size = 0;
            foreach (var value in arguments)
            {
                // Strings are counted, not encoded: the writer encodes them once, on the wire.
                var text = (string?)value;
                size += text is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(text);
            }
            if (size > _options.MaxDataBytes)
            {
                throw new SessionDataTooLargeException(size, _options.MaxDataBytes);
            }
        }
        var now = NowMs;
        var args = new RedisValue[10 + arguments.Length];
        args[0] = sessionId;
        args[1] = now;
        args[2] = (long)_options.InactiveTimeout.TotalMilliseconds;
        args[3] = RetentionMs;
        args[4] = (long)_options.EffectiveActivityResolution.TotalMilliseconds;
        args[5] = _options.NodeName;
        args[6] = _terminations.ClaimUntil(now);
        args[7] = _pendingChannel;
        args[8] = _options.MaxDataBytes;
        args[9] = operation;
        arguments.CopyTo(args, 10);
        var result = await RunAsync("set-data", () => SessionScripts.SetData.EvaluateAsync(Db, [_keys.Session(bucket, sessionId)], args)).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        if ((string)items[0]! == "too_large")
        {
            throw new SessionDataTooLargeException((long)items[1], _options.MaxDataBytes);
        }
        var slide = await ReadSlideAnswerAsync(bucket, sessionId, items, cancellationToken).ConfigureAwait(false);
        Record("set-data", started);
        return slide;
    }

    /// <summary>Terminates a session (reason <see cref="TerminationReason.Terminated"/>); the callbacks have run when this
    /// returns if this process has any. False when the session was already gone.</summary>
    public Task<bool> TerminateSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        TerminateSessionAsync(sessionId, TerminationReason.Terminated, cancellationToken);

    /// <summary>Terminates a session with a given reason (e.g. <see cref="TerminationReason.Admin"/> for tools).</summary>
    public async Task<bool> TerminateSessionAsync(string sessionId, TerminationReason reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return false;
        }
        var started = Stopwatch.GetTimestamp();
        var now = NowMs;
        var claimUntil = _terminations.ClaimUntil(now);
        var result = await RunAsync("terminate", () => SessionScripts.Terminate.EvaluateAsync(Db,
            [_keys.Session(bucket, sessionId), _keys.Users(bucket), _keys.Expiry(bucket), _keys.Pending(bucket), _keys.Ended(bucket, sessionId), _keys.Count(bucket)],
            [sessionId, now, TerminationReasonNames.ToWire(reason), RetentionMs, _options.NodeName, claimUntil, _pendingChannel])).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        if ((string)items[0]! == "gone")
        {
            return false;
        }
        _ownSessions?.Remove(sessionId);
        if (items.Length > 1)
        {
            await _terminations.HandleSnapshotsAsync(bucket, items, 1, cancellationToken).ConfigureAwait(false);
        }
        Record("terminate", started);
        return true;
    }

    /// <summary>Terminates every session of a user (reason <see cref="TerminationReason.Terminated"/>). Returns how many ended.</summary>
    public Task<int> TerminateUserSessionsAsync(string userId, CancellationToken cancellationToken = default) =>
        TerminateUserSessionsAsync(userId, TerminationReason.Terminated, exceptSessionId: null, cancellationToken);

    /// <summary>Terminates every session of a user but <paramref name="exceptSessionId"/> (when given), with a reason.</summary>
    public async Task<int> TerminateUserSessionsAsync(string userId, TerminationReason reason, string? exceptSessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        cancellationToken.ThrowIfCancellationRequested();
        var bucket = SessionKeys.BucketOf(userId);
        var now = NowMs;
        var result = await RunAsync("terminate-user", () => SessionScripts.TerminateUser.EvaluateAsync(Db,
            [_keys.Users(bucket), _keys.Expiry(bucket), _keys.Pending(bucket), _keys.Count(bucket)],
            [userId, now, TerminationReasonNames.ToWire(reason), RetentionMs, _options.NodeName, _terminations.ClaimUntil(now), _pendingChannel, exceptSessionId ?? string.Empty])).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        await _terminations.HandleSnapshotsAsync(bucket, items, 1, cancellationToken).ConfigureAwait(false);
        return (int)items[0];
    }

    /// <summary>Gives a live session a new id — same user, data and index entry; the old id stops working at once. Call
    /// it after login (session fixation defence). Counts as activity.</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    public async Task<Session> RotateSessionIdAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            throw new SessionException("The session does not exist (unknown id); it can't be rotated.");
        }
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var newId = SessionKeys.NewSessionId(bucket);
            var now = NowMs;
            var result = await RunAsync("rotate", () => SessionScripts.Rotate.EvaluateAsync(Db,
                [_keys.Session(bucket, sessionId), _keys.Session(bucket, newId)],
                [sessionId, newId, now, (long)_options.InactiveTimeout.TotalMilliseconds, RetentionMs, _options.NodeName, _terminations.ClaimUntil(now), _pendingChannel])).ConfigureAwait(false);
            var items = (RedisResult[])result!;
            if ((string)items[0]! == "exists" && attempt < 3)
            {
                continue;
            }
            var record = await ReadFieldsAnswerAsync(bucket, newId, items, cancellationToken).ConfigureAwait(false)
                ?? throw new SessionException("The session has ended (expired or terminated); it can't be rotated.");
            if (_ownSessions is not null && _ownSessions.Remove(sessionId))
            {
                _ownSessions.Add(newId);
            }
            Record("rotate", started);
            Log.SessionRotated(_logger, sessionId, newId);
            return new Session(this, record);
        }
    }

    /// <summary>Sweeps every bucket now: ends the sessions whose time is up (even if Redis already deleted their keys'
    /// timers) and runs callbacks for terminations nobody finished. Returns how many sessions this sweep ended.</summary>
    public async Task<int> CleanupInactiveSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShutDown();
        var started = Stopwatch.GetTimestamp();
        var (expired, handled) = await _terminations.SweepAllAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Log.SweepCompleted(_logger, expired, handled, elapsed);
        Record("cleanup", started);
        return expired;
    }

    /// <summary>Farm-wide figures (summed over the bucket indexes: 1,024 small reads, no keyspace scan) plus this
    /// process's counters.</summary>
    public async Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = NowMs;
        var db = Db;
        var tasks = SessionKeys.AllBuckets().Select(b => SessionScripts.BucketStats.EvaluateAsync(db,
            [_keys.Expiry(b), _keys.Pending(b), _keys.Users(b), _keys.Count(b)], [now])).ToArray();
        var results = await RunAsync("stats", () => Task.WhenAll(tasks)).ConfigureAwait(false);
        long live = 0, overdue = 0, pending = 0, users = 0;
        foreach (var result in results)
        {
            var items = (RedisResult[])result!;
            live += (long)items[0];
            overdue += (long)items[1];
            pending += (long)items[2];
            users += (long)items[3];
        }
        return new SessionStats
        {
            TotalActiveSessions = live,
            OverdueSessions = overdue,
            PendingTerminations = pending,
            UniqueUsers = users,
            AutoCleanupRunning = AutoCleanupRunning,
            SessionsCreatedByThisNode = Interlocked.Read(ref _created),
            TerminationsHandledByThisNode = _terminations.Handled,
            NodeName = _options.NodeName,
            Options = _options.Clone(),
        };
    }

    /// <summary>Why a session ended, while Redis still remembers it: until its termination has been handled and for
    /// <see cref="SessionOptions.TerminationNoticePeriod"/> after that. Null when the id is unknown, malformed, still
    /// live, or ended too long ago. Lets a web app tell a signed-out user why (another device, an operator, the
    /// session limit, inactivity).</summary>
    public async Task<TerminationReason?> FindTerminationReasonAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return null;
        }
        var reason = await RunAsync("find-reason", () => Db.HashGetAsync(_keys.Ended(bucket, sessionId), "reason")).ConfigureAwait(false);
        return reason.IsNullOrEmpty ? null : TerminationReasonNames.FromWire(reason);
    }

    /// <summary>A round trip to Redis (for health checks): how long it took.</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await RunAsync("ping", () => Db.PingAsync()).ConfigureAwait(false);
    }

    /// <summary>Registers a callback run once per ended session in the whole farm (on whichever process claims it),
    /// with the final snapshot and the reason. Dispose the result to unregister. A callback that throws is logged and
    /// does not stop the others. A process with no callbacks leaves terminations to processes that have some.</summary>
    public IDisposable RegisterTerminationCallback(Func<SessionTermination, CancellationToken, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return _terminations.Register(callback);
    }

    /// <summary>Stops the background sweep, hands unfinished claimed terminations back to the farm, and with
    /// <see cref="SessionOptions.TerminateOnShutdown"/> terminates the sessions this node created (reason
    /// <see cref="TerminationReason.Shutdown"/>). Idempotent.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }
        if (_sweeper is not null)
        {
            await _sweeper.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_ownSessions is not null)
        {
            foreach (var sessionId in _ownSessions.Snapshot())
            {
                try
                {
                    await TerminateSessionAsync(sessionId, TerminationReason.Shutdown, cancellationToken).ConfigureAwait(false);
                }
                catch (SessionStoreUnavailableException)
                {
                    break; // Redis is gone: the sessions will simply expire.
                }
            }
        }
        await _terminations.DrainAsync().ConfigureAwait(false);
        Log.ShutDown(_logger, _options.NodeName);
        if (_ownsRedis)
        {
            await _redis.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            _redis.Dispose();
        }
    }

    /// <inheritdoc cref="ShutdownAsync"/>
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    internal long RetentionMs => (long)_options.TerminatedSessionRetention.TotalMilliseconds;

    /// <summary>Sessions this node still tracks for <see cref="SessionOptions.TerminateOnShutdown"/> (0 when off).</summary>
    internal int TrackedOwnSessions => _ownSessions?.Count ?? 0;

    /// <summary>Forgets the tracked sessions that ended elsewhere (one pipelined EXISTS per id, in the background).</summary>
    private async Task PruneOwnSessionsAsync(SessionIdTracker tracker)
    {
        try
        {
            await tracker.PruneAsync(async ids =>
            {
                var db = Db;
                var checks = ids.Select(id => SessionKeys.TryParseSessionId(id, out var bucket)
                    ? db.KeyExistsAsync(_keys.Session(bucket, id)) : Task.FromResult(false)).ToArray();
                return await Task.WhenAll(checks).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Background housekeeping: a failure only means the ids are checked at the next prune.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.OwnSessionsPruneFailed(_logger, ex);
        }
    }

    private void ThrowIfShutDown() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _shutdown) != 0, this);

    /// <summary>The expiry offset and last activity offset (-1: derived) a slide left; see <see cref="SessionRecord"/>.</summary>
    internal readonly record struct Slide(long ExpiryOffset, long LastOffset, long CreatedMs)
    {
        public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeMilliseconds(CreatedMs + ExpiryOffset);
    }

    /// <summary>Interprets {'ok', expiry offset, last offset} | {'gone'} | {'expired', snapshot?}.</summary>
    private async Task<Slide?> ReadSlideAnswerAsync(string bucket, string sessionId, RedisResult[] items, CancellationToken cancellationToken)
    {
        var status = (string)items[0]!;
        if (status == "ok")
        {
            return new Slide((long)items[1], (long)items[2], (long)items[3]);
        }
        await ReadFieldsAnswerAsync(bucket, sessionId, items, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Interprets {'ok', fields} | {'gone'} | {'expired', snapshot?} | {'exists'}.</summary>
    private async Task<SessionRecord?> ReadFieldsAnswerAsync(string bucket, string sessionId, RedisResult[] items, CancellationToken cancellationToken)
    {
        switch ((string)items[0]!)
        {
            case "ok":
                var record = SessionRecord.FromResult(sessionId, items[1], _options.InactiveTimeout);
                if (record is not null)
                {
                    await _nodes.ResolveAsync(record).ConfigureAwait(false);
                }
                return record;
            case "expired":
                await _terminations.HandleSnapshotsAsync(bucket, items, 1, cancellationToken).ConfigureAwait(false);
                return null;
            case "gone":
                return null;
            default:
                throw new SessionException($"A session id collision could not be resolved ('{(string)items[0]!}').");
        }
    }

    private static List<RedisValue> DataArguments(IReadOnlyDictionary<string, string>? data)
    {
        var values = new List<RedisValue>();
        if (data is null)
        {
            return values;
        }
        foreach (var (key, value) in data)
        {
            if (key is null)
            {
                throw new ArgumentException("Session data keys can't be null.", nameof(data));
            }
            if (value is null)
            {
                throw new ArgumentException($"Session data value for key '{Truncate(key)}' is null; store an empty string or leave the key out.", nameof(data));
            }
            values.Add(key);
            values.Add(value);
        }
        return values;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static void Record(string operation, long started) =>
        SessionMetrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("operation", operation));

    internal async Task<T> RunAsync<T>(string operation, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisConnector.IsUnavailable(ex))
        {
            throw Unavailable(operation, ex);
        }
    }

    private SessionStoreUnavailableException Unavailable(string operation, Exception ex)
    {
        Log.RedisUnavailable(_logger, ex, operation);
        return new SessionStoreUnavailableException($"Redis is unreachable ({operation} was not applied, or applied whole): {ex.Message}", ex);
    }
}
