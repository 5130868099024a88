using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RedisSessions.Diagnostics;
using RedisSessions.Expiry;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using RedisSessions.Store;
using RedisSessions.Termination;
using StackExchange.Redis;

namespace RedisSessions;

/// <summary>
/// Creates, loads and ends sessions stored in Redis. Thread-safe; share one per process (it is what
/// <c>AddRedisSessions</c> registers). Every write is one atomic Lua script whose keys share a hash slot and are all
/// declared, so it works the same on a standalone Redis and on Redis Cluster; every decision about time is made with
/// Redis's clock. With <see cref="SessionOptions.EnableAutoCleanup"/> it also runs the background sweep and expiry
/// listener that end sessions whose time is up, and runs the termination callbacks, exactly once across every process
/// sharing the Redis.
/// </summary>
/// <remarks>The flow, folder by folder: <c>Keys/</c> names every key; <c>Scripts/</c> holds one Lua file per operation
/// and its typed call; <c>Store/</c> runs the operations; <c>Expiry/</c> decides when each tag is swept (keyspace
/// events, the deadline schedule, the full sweep); <c>Termination/</c> claims ended sessions under leases and runs the
/// callbacks.</remarks>
public sealed partial class SessionManager : IAsyncDisposable
{
    private readonly RedisConnection _connection;
    private readonly SessionOptions _options;
    private readonly ILogger _logger;
    private readonly RedisClock _clock;
    private readonly ScriptContext _scripts;
    private readonly SessionStore _store;
    private readonly TerminationDispatcher _terminations;
    private readonly TagSweeper _sweeper;
    private readonly OwnSessions? _ownSessions;
    private BackgroundScheduler? _background;
    private long _created;
    private int _shutdown;

    /// <summary>Creates a manager over an existing connection (which it does not dispose).</summary>
    /// <exception cref="ArgumentException">A setting of <paramref name="options"/> is out of range (the message names it).</exception>
    public SessionManager(IConnectionMultiplexer redis, SessionOptions options)
        : this(redis, options, logger: null, timeProvider: null)
    {
    }

    /// <summary>Creates a manager over an existing connection (which it does not dispose), with logging.
    /// <paramref name="timeProvider"/> only paces the background work and is the clock of last resort for
    /// <see cref="Session.IsActive"/> before Redis has answered once: every time a session's fate depends on comes
    /// from Redis.</summary>
    public SessionManager(IConnectionMultiplexer redis, SessionOptions options, ILogger<SessionManager>? logger, TimeProvider? timeProvider = null)
        : this(RedisConnection.Borrowed(redis ?? throw new ArgumentNullException(nameof(redis))), options, logger, timeProvider,
            startBackground: options?.EnableAutoCleanup ?? false)
    {
    }

    /// <summary>The constructor behind every other. <paramref name="startBackground"/> false lets a host run the
    /// background work as a hosted service instead (<see cref="StartAutoCleanup"/>).</summary>
    internal SessionManager(RedisConnection connection, SessionOptions options, ILogger? logger, TimeProvider? timeProvider, bool startBackground)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _connection = connection;
        _options = options.Clone();
        _logger = logger ?? NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        _clock = new RedisClock(TimeProvider);
        _scripts = new ScriptContext(new KeySchema(_options.KeyPrefix), _options);
        _terminations = new TerminationDispatcher(connection, _scripts, _options, _clock, _logger, record => new Session(this, record, terminated: true));
        _store = new SessionStore(connection, _scripts, _options, _clock, _terminations, _logger);
        _sweeper = new TagSweeper(connection, _scripts, _clock, _logger);
        if (_options.TerminateOnShutdown)
        {
            _ownSessions = new OwnSessions();
        }
        if (startBackground)
        {
            StartAutoCleanup();
        }
    }

    /// <summary>Starts the background sweep, schedule and expiry listener (once).</summary>
    internal void StartAutoCleanup()
    {
        var background = new BackgroundScheduler(_connection, _scripts, _options, _clock, _logger, _sweeper, _terminations);
        if (Interlocked.CompareExchange(ref _background, background, null) is null)
        {
            background.Start();
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
        var redis = await RedisErrors.ConnectAsync(configuration, options.TrustedCertificateAuthorityPath).ConfigureAwait(false);
        try
        {
            return new SessionManager(RedisConnection.Owned(redis), options, logger, timeProvider, startBackground: options.EnableAutoCleanup);
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>The clock that paces the background work (not the one sessions live by: that is Redis's).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>A copy of the options in force.</summary>
    public SessionOptions Options => _options.Clone();

    /// <summary>True while the background sweep runs (<see cref="SessionOptions.EnableAutoCleanup"/>).</summary>
    public bool AutoCleanupRunning => _background?.IsRunning ?? false;

    internal SessionOptions Settings => _options;

    internal ILogger Logger => _logger;

    internal RedisConnection Connection => _connection;

    internal ScriptContext Scripts => _scripts;

    internal TerminationDispatcher Terminations => _terminations;

    internal BackgroundScheduler? Background => _background;

    /// <summary>The operations behind this facade (the admin API reads through them).</summary>
    internal SessionStore Store => _store;

    /// <summary>The tag sweep (the admin API's cleanup runs it).</summary>
    internal TagSweeper Sweeper => _sweeper;

    /// <summary>Redis's clock as seen through script replies.</summary>
    internal RedisClock Clock => _clock;

    /// <summary>Redis's clock as this process last saw it (Unix ms).</summary>
    internal long RedisNowMs => _clock.NowMs;

    /// <summary>Creates a session for <paramref name="userId"/>, enforcing <see cref="SessionOptions.MaxSessionsPerUser"/>
    /// inside Redis: sessions of the user whose time is up never count; with <see cref="SessionLimitPolicy.EvictOldest"/>
    /// the least recently active live ones are terminated (reason <see cref="TerminationReason.Evicted"/>) to make room,
    /// and their callbacks have run when this returns (if this process has callbacks).</summary>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is null, empty, white space, longer than 1,024
    /// UTF-8 bytes or not valid UTF-16; or a data key or value is null or not valid UTF-16.</exception>
    /// <exception cref="SessionLimitExceededException">The user is at the limit and the policy is <see cref="SessionLimitPolicy.RejectNew"/>.</exception>
    /// <exception cref="SessionDataTooLargeException">The data is over <see cref="SessionOptions.MaxDataBytes"/>.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached; nothing was written.</exception>
    public async Task<Session> CreateSessionAsync(string userId, IReadOnlyDictionary<string, string>? data = null, CancellationToken cancellationToken = default)
    {
        UserIds.Validate(userId, nameof(userId));
        var values = DataArguments(data, nameof(data));
        CheckSize(values);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfShutDown();
        var started = Stopwatch.GetTimestamp();
        SessionRecord record;
        try
        {
            record = await RunAsync("create", () => _store.CreateAsync(userId, values, cancellationToken)).ConfigureAwait(false);
        }
        catch (SessionLimitExceededException ex)
        {
            SessionMetrics.Rejected.Add(1);
            Log.SessionLimitReached(_logger, userId, ex.ActiveSessions, ex.MaxSessionsPerUser);
            throw;
        }
        Interlocked.Increment(ref _created);
        if (_ownSessions is not null)
        {
            _ownSessions.Add(record.SessionId, userId);
            if (_ownSessions.TryStartPrune())
            {
                _ = PruneOwnSessionsAsync(_ownSessions);
            }
        }
        SessionMetrics.Created.Add(1);
        Record("create", started);
        Log.SessionCreated(_logger, record.SessionId, userId, _options.NodeName, DateTimeOffset.FromUnixTimeMilliseconds(record.ExpiresMs));
        return new Session(this, record);
    }

    /// <summary>Loads a session for use: counts as activity (the expiry slides). Null when the id is unknown, malformed,
    /// expired or terminated. A session whose time is up on Redis's clock is never returned, even before any sweep.</summary>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is null, empty or white space.</exception>
    public async Task<Session?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        SessionRecord? record;
        try
        {
            record = await _store.LoadForUseAsync(tag, sessionId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisErrors.IsUnavailable(ex))
        {
            throw Unavailable("get", ex);
        }
        catch (Exception ex) when (RedisErrors.IsAccessDenied(ex))
        {
            throw AccessDenied("get", ex);
        }
        Record("get", started);
        return record is null ? null : new Session(this, record);
    }

    /// <summary>Loads a session for use like <see cref="GetSessionAsync"/>, and when it is gone says why while Redis
    /// still remembers (<see cref="FindTerminationReasonAsync"/>), from the same read: one round trip for a live session
    /// or an ended one. What a web request needs to sign a browser out with a reason.</summary>
    public async Task<SessionLoad> LoadSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return SessionLoad.Unknown;
        }
        var started = Stopwatch.GetTimestamp();
        var (record, reason) = await RunAsync("get", () => _store.LoadForUseOrReasonAsync(tag, sessionId, cancellationToken)).ConfigureAwait(false);
        Record("get", started);
        return record is not null ? new SessionLoad(new Session(this, record), null)
            : new SessionLoad(null, reason is null ? null : TerminationReasonNames.FromWire(reason));
    }

    /// <summary>True when <paramref name="sessionId"/> has the shape of an id this library issues (its user's tag and
    /// 22 URL-safe characters): anything else can't name a session, and no operation sends it to Redis.</summary>
    public static bool IsWellFormedSessionId(string? sessionId) => SessionIds.TryParse(sessionId, out _);

    /// <summary>Reads a session without counting it as activity (for admin tools). Null when unknown, expired or terminated.</summary>
    public async Task<Session?> PeekSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return null;
        }
        var record = await RunAsync("peek", () => _store.PeekAsync(tag, sessionId)).ConfigureAwait(false);
        return record is null ? null : new Session(this, record);
    }

    /// <summary>The user's live sessions, oldest first. Reads the user's index, never the keyspace; does not count as activity.</summary>
    public async Task<IReadOnlyList<Session>> GetUserSessionsAsync(string userId, CancellationToken cancellationToken = default)
    {
        UserIds.Validate(userId, nameof(userId));
        cancellationToken.ThrowIfCancellationRequested();
        var records = await RunAsync("list-user", () => _store.ListUserAsync(userId)).ConfigureAwait(false);
        return records.Select(r => new Session(this, r)).ToList();
    }

    /// <summary>Records activity now, sliding the expiry. False when the session is gone (a late call never brings an
    /// expired or terminated session back).</summary>
    public async Task<bool> UpdateSessionActivityAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await TouchAsync(sessionId, null, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Sets data values of a session in one atomic write (counts as activity). False when the session is gone.</summary>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>; nothing was written.</exception>
    public Task<bool> SetSessionDataAsync(string sessionId, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return UpdateSessionDataAsync(sessionId, values, remove: null, cancellationToken);
    }

    /// <summary>Sets <paramref name="set"/> and removes <paramref name="remove"/> in one atomic write (counts as
    /// activity): what a web request changed in its session state, and nothing else. A key in both ends up set. False
    /// when the session is gone.</summary>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>; nothing was written.</exception>
    public async Task<bool> UpdateSessionDataAsync(string sessionId, IReadOnlyDictionary<string, string>? set, IReadOnlyCollection<string>? remove, CancellationToken cancellationToken = default)
    {
        var pairs = DataArguments(set, nameof(set));
        var removed = new List<string>(remove?.Count ?? 0);
        foreach (var key in remove ?? [])
        {
            CheckDataKey(key, nameof(remove));
            removed.Add(key);
        }
        return await ChangeDataAsync(sessionId, null, pairs, removed, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>Terminates a session (reason <see cref="TerminationReason.Terminated"/>); the callbacks have run when this
    /// returns if this process has any. False when the session was already gone.</summary>
    public Task<bool> TerminateSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        TerminateSessionAsync(sessionId, TerminationReason.Terminated, cancellationToken);

    /// <summary>Terminates a session with a given reason (e.g. <see cref="TerminationReason.Admin"/> for tools).</summary>
    public Task<bool> TerminateSessionAsync(string sessionId, TerminationReason reason, CancellationToken cancellationToken = default) =>
        TerminateAsync(sessionId, null, reason, cancellationToken);

    internal async Task<bool> TerminateAsync(string sessionId, string? userId, TerminationReason reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        _ = TerminationReasonNames.ToWire(reason);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return false;
        }
        var started = Stopwatch.GetTimestamp();
        var answer = await RunAsync("terminate", async () =>
        {
            var user = userId ?? await _store.UserOfAsync(tag, sessionId).ConfigureAwait(false);
            return user is null ? SessionAnswer.Gone : await _store.EndAsync(tag, sessionId, UserKeys.For(_scripts.Keys, user), reason, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        Record("terminate", started);
        if (answer.Outcome != SessionOutcome.Ok)
        {
            return false;
        }
        _ownSessions?.Remove(sessionId, out _);
        await WaitForDurabilityAsync(tag, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Terminates every session of a user (reason <see cref="TerminationReason.Terminated"/>). Returns how many ended.</summary>
    public Task<int> TerminateUserSessionsAsync(string userId, CancellationToken cancellationToken = default) =>
        TerminateUserSessionsAsync(userId, TerminationReason.Terminated, exceptSessionId: null, cancellationToken);

    /// <summary>Terminates every session of a user but <paramref name="exceptSessionId"/> (when given), with a reason, in
    /// batches of 200 (each batch's callbacks run before the next). Returns how many ended.</summary>
    public async Task<int> TerminateUserSessionsAsync(string userId, TerminationReason reason, string? exceptSessionId, CancellationToken cancellationToken = default)
    {
        UserIds.Validate(userId, nameof(userId));
        _ = TerminationReasonNames.ToWire(reason);
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        var ended = await RunAsync("terminate-user", () => _store.EndUserAsync(userId, reason, exceptSessionId, cancellationToken)).ConfigureAwait(false);
        Record("terminate-user", started);
        if (ended > 0)
        {
            await WaitForDurabilityAsync(Tags.Of(userId), cancellationToken).ConfigureAwait(false);
        }
        return ended;
    }

    /// <summary>Gives a live session a new id — same user, data and index entry; the old id stops working at once. Call
    /// it after login (session fixation defence). Counts as activity.</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    public async Task<Session> RotateSessionIdAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            throw new SessionException("The session does not exist (unknown id); it can't be rotated.");
        }
        var started = Stopwatch.GetTimestamp();
        var (answer, record) = await RunAsync("rotate", async () =>
        {
            var user = await _store.UserOfAsync(tag, sessionId).ConfigureAwait(false);
            return user is null ? (SessionAnswer.Gone, (SessionRecord?)null) : await _store.RotateAsync(tag, sessionId, UserKeys.For(_scripts.Keys, user), cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        if (answer.Outcome != SessionOutcome.Ok || record is null)
        {
            throw new SessionException("The session has ended (expired or terminated); it can't be rotated.");
        }
        if (_ownSessions is not null && _ownSessions.Remove(sessionId, out var owner))
        {
            _ownSessions.Add(record.SessionId, owner!);
        }
        Record("rotate", started);
        Log.SessionRotated(_logger, sessionId, record.SessionId);
        return new Session(this, record);
    }

    /// <summary>Sweeps every tag now: ends the sessions whose time is up and, when this process has callbacks, runs
    /// those of terminations nobody finished. Returns how many sessions this sweep ended.</summary>
    public async Task<int> CleanupInactiveSessionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShutDown();
        var started = Stopwatch.GetTimestamp();
        var before = _terminations.Handled;
        var ended = await RunAsync("cleanup", async () =>
        {
            var total = 0;
            await Parallel.ForEachAsync(Tags.All, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (tag, ct) =>
            {
                Interlocked.Add(ref total, (await _sweeper.SweepAsync(tag, ct).ConfigureAwait(false)).Ended);
                await ClaimAndRunReadyAsync(tag, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return total;
        }).ConfigureAwait(false);
        var elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Log.SweepCompleted(_logger, ended, (int)(_terminations.Handled - before), elapsed);
        Record("cleanup", started);
        return ended;
    }

    /// <summary>Claims the ready terminations of a tag (as many as there are free slots, until none is left) and
    /// waits until their callbacks ran: an explicit cleanup returns with its work done.</summary>
    private async Task ClaimAndRunReadyAsync(string tag, CancellationToken cancellationToken)
    {
        while (_terminations.HasCallbacks && await _terminations.ClaimReadyAsync(tag, cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        while (_terminations.HeldCount > 0)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Farm-wide figures (summed over the tags' indexes: 1,024 small reads, no keyspace scan) plus this
    /// process's counters.</summary>
    public async Task<SessionStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var figures = await RunAsync("stats", () => StatsReader.ReadAsync(_connection, _scripts, _clock)).ConfigureAwait(false);
        return new SessionStats
        {
            TotalActiveSessions = figures.Live,
            OverdueSessions = figures.Overdue,
            PendingTerminations = figures.Pending,
            UniqueUsers = figures.Users,
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
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return null;
        }
        var reason = await RunAsync("find-reason", () => _store.FindReasonAsync(tag, sessionId)).ConfigureAwait(false);
        return reason is null ? null : TerminationReasonNames.FromWire(reason);
    }

    /// <summary>A round trip to Redis (for health checks): how long it took.</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return await RunAsync("ping", async () => await (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase().PingAsync().ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Registers a callback run once per ended session in the whole farm (on whichever process claims it),
    /// with the final snapshot and the reason. Dispose the result to unregister. A callback that throws is logged and
    /// does not stop the others. A process with no callbacks leaves terminations to processes that have some.</summary>
    public IDisposable RegisterTerminationCallback(Func<SessionTermination, CancellationToken, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return _terminations.Register(callback);
    }

    /// <summary>Stops the background work, hands unfinished claimed terminations back to the farm, and with
    /// <see cref="SessionOptions.TerminateOnShutdown"/> terminates the sessions this node created (reason
    /// <see cref="TerminationReason.Shutdown"/>). Idempotent.</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }
        if (_ownSessions is not null)
        {
            foreach (var (sessionId, userId) in _ownSessions.Snapshot())
            {
                try
                {
                    await TerminateAsync(sessionId, userId, TerminationReason.Shutdown, cancellationToken).ConfigureAwait(false);
                }
                catch (SessionStoreUnavailableException)
                {
                    break; // Redis is gone: the sessions will simply expire.
                }
            }
        }
        if (_background is not null)
        {
            await _background.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _terminations.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        Log.ShutDown(_logger, _options.NodeName);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc cref="ShutdownAsync"/>
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    /// <summary>Sessions this node still tracks for <see cref="SessionOptions.TerminateOnShutdown"/> (0 when off).</summary>
    internal int TrackedOwnSessions => _ownSessions?.Count ?? 0;

    /// <summary>Records activity (resolution 0: always writes). Null when the session is gone.</summary>
    internal async Task<SessionAnswer?> TouchAsync(string sessionId, string? userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        var answer = await RunAsync("touch", async () =>
        {
            var user = userId ?? await _store.UserOfAsync(tag, sessionId).ConfigureAwait(false);
            return user is null ? SessionAnswer.Gone : await _store.TouchAsync(tag, sessionId, UserKeys.For(_scripts.Keys, user), 0, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        Record("touch", started);
        if (answer.Outcome != SessionOutcome.Ok)
        {
            return null;
        }
        Log.SessionRenewed(_logger, sessionId, DateTimeOffset.FromUnixTimeMilliseconds(answer.ExpiresMs));
        return answer;
    }

    /// <summary>Sets and removes data values in one step. Null when the session is gone.</summary>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>; nothing was written.</exception>
    internal async Task<SessionAnswer?> ChangeDataAsync(string sessionId, string? userId, IReadOnlyList<KeyValuePair<string, string>> set, IReadOnlyList<string> remove, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        long size = 0;
        foreach (var (key, value) in set)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
        }
        if (size > _options.MaxDataBytes)
        {
            throw new SessionDataTooLargeException(size, _options.MaxDataBytes);
        }
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return null;
        }
        var started = Stopwatch.GetTimestamp();
        var answer = await RunAsync("set-data", async () =>
        {
            var user = userId ?? await _store.UserOfAsync(tag, sessionId).ConfigureAwait(false);
            return user is null ? SessionAnswer.Gone : await _store.ChangeDataAsync(tag, sessionId, UserKeys.For(_scripts.Keys, user), set, remove, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
        Record("set-data", started);
        return answer.Outcome switch
        {
            SessionOutcome.Ok => answer,
            SessionOutcome.TooLarge => throw new SessionDataTooLargeException(answer.Size, _options.MaxDataBytes),
            _ => null,
        };
    }

    /// <summary>Waits for <see cref="SessionOptions.LogoutDurability"/> on the primary of <paramref name="tag"/>: WAIT
    /// or WAITAOF on its connection, which covers this termination (and whatever else the connection wrote before).</summary>
    private async Task WaitForDurabilityAsync(string tag, CancellationToken cancellationToken)
    {
        if (_options.LogoutDurability == LogoutDurability.Primary)
        {
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        var timeout = (long)_options.LogoutDurabilityTimeout.TotalMilliseconds;
        var reached = await RunAsync("logout durability", async () =>
        {
            var redis = await _connection.GetAsync().ConfigureAwait(false);
            var server = redis.GetServer(_scripts.Keys.Sessions(tag));
            try
            {
                if (_options.LogoutDurability == LogoutDurability.ReplicaAcknowledged)
                {
                    return (long)await server.ExecuteAsync("WAIT", 1, timeout).ConfigureAwait(false) >= 1;
                }
                var counts = (RedisResult[])(await server.ExecuteAsync("WAITAOF", 1, 0, timeout).ConfigureAwait(false))!;
                return (long)counts[0] >= 1;
            }
            catch (RedisServerException ex) when (ex.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
            {
                throw new SessionException($"LogoutDurability {_options.LogoutDurability} needs WAITAOF, which this Redis does not have (Redis 7.2 or newer has it): {ex.Message}", ex);
            }
        }).ConfigureAwait(false);
        if (!reached)
        {
            throw new SessionException(
                $"The session ended on the primary, but {(_options.LogoutDurability == LogoutDurability.ReplicaAcknowledged ? "no replica acknowledged it" : "the primary did not fsync its append-only file")} within {_options.LogoutDurabilityTimeout} (LogoutDurability = {_options.LogoutDurability}).");
        }
    }

    /// <summary>Forgets the tracked sessions that ended elsewhere (one pipelined read per id, in the background).</summary>
    private async Task PruneOwnSessionsAsync(OwnSessions tracker)
    {
        try
        {
            await tracker.PruneAsync(async ids =>
            {
                var checks = ids.Select(id => SessionIds.TryParse(id, out var tag)
                    ? _store.UserOfAsync(tag, id).ContinueWith(t => t.IsCompletedSuccessfully && t.Result is not null, TaskScheduler.Default)
                    : Task.FromResult(false)).ToArray();
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

    private void CheckSize(List<KeyValuePair<string, string>> values)
    {
        long size = 0;
        foreach (var (key, value) in values)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value);
        }
        if (size > _options.MaxDataBytes)
        {
            throw new SessionDataTooLargeException(size, _options.MaxDataBytes);
        }
    }

    /// <summary>Checks data pairs: keys and values non-null and valid UTF-16 (what Redis would store as U+FFFD would not
    /// read back the same).</summary>
    internal static List<KeyValuePair<string, string>> DataArguments(IReadOnlyDictionary<string, string>? data, string parameterName)
    {
        var values = new List<KeyValuePair<string, string>>(data?.Count ?? 0);
        if (data is null)
        {
            return values;
        }
        foreach (var (key, value) in data)
        {
            CheckDataKey(key, parameterName);
            if (value is null)
            {
                throw new ArgumentException($"Session data value for key '{Truncate(key)}' is null; store an empty string or leave the key out.", parameterName);
            }
            Keys.Text.ThrowIfInvalidUtf16(value, parameterName, $"data value for key '{Truncate(key)}'");
            values.Add(new KeyValuePair<string, string>(key, value));
        }
        return values;
    }

    internal static void CheckDataKey(string? key, string parameterName)
    {
        if (key is null)
        {
            throw new ArgumentException("Session data keys can't be null.", parameterName);
        }
        Keys.Text.ThrowIfInvalidUtf16(key, parameterName, "data key");
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
        catch (Exception ex) when (RedisErrors.IsUnavailable(ex))
        {
            throw Unavailable(operation, ex);
        }
        catch (Exception ex) when (RedisErrors.IsAccessDenied(ex))
        {
            throw AccessDenied(operation, ex);
        }
    }

    private SessionStoreUnavailableException AccessDenied(string operation, Exception ex)
    {
        Log.AccessDenied(_logger, ex, operation, ex.Message);
        return new SessionStoreUnavailableException(
            $"Redis refused {operation} for this connection's user: {ex.Message}. An ACL user for RedisSessions needs the keys " +
            $"~{_options.KeyPrefix}:*, the channels &{_options.KeyPrefix}:pending and &__keyevent@*__:expired, and the commands " +
            "+@read +@write +@scripting +@pubsub +@connection +time (MEMORY USAGE, CONFIG and INFO are optional).", ex);
    }

    internal SessionStoreUnavailableException Unavailable(string operation, Exception ex)
    {
        Log.RedisUnavailable(_logger, ex, operation);
        // The call's error names a refusal only when it was the connection's first failure since it was last up; the
        // multiplexer's log heard every one (ConnectionRefusals).
        if ((RedisErrors.RefusedConnection(ex) ?? ConnectionRefusals.Of(_connection.Current, ex)) is { } refused)
        {
            // Not away but refusing: say why, or the caller looks for a network problem.
            return new SessionStoreUnavailableException($"Redis refused the connection ({operation} was not applied, or applied whole): {refused} {ex.Message}", ex);
        }
        return new SessionStoreUnavailableException($"Redis is unreachable ({operation} was not applied, or applied whole): {ex.Message}", ex);
    }
}
