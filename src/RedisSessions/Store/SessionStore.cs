using Microsoft.Extensions.Logging;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using RedisSessions.Termination;
using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>
/// The session operations, each one atomic script (or a plain read) against the keys of one user's tag. What a script
/// ended and claimed for this process (evictions, a session found past its time, logouts) is run before the operation
/// returns, through the <see cref="TerminationDispatcher"/>. Inputs are validated by <see cref="SessionManager"/>.
/// </summary>
internal sealed partial class SessionStore
{
    /// <summary>A read skips the refresh script only when the session's expiry is at least this far off on Redis's
    /// clock (as last seen); closer calls are decided by the script, with TIME.</summary>
    private const long FastPathMarginMs = 1000;

    /// <summary>How many of one user's sessions a batch (terminate-user, list) handles at once.</summary>
    public const int UserBatch = 200;

    private readonly RedisConnection _connection;
    private readonly ScriptContext _scripts;
    private readonly SessionOptions _options;
    private readonly RedisClock _clock;
    private readonly TerminationDispatcher _terminations;
    private readonly ILogger _logger;
    private readonly long _resolutionMs;

    public SessionStore(RedisConnection connection, ScriptContext scripts, SessionOptions options, RedisClock clock, TerminationDispatcher terminations, ILogger logger)
    {
        _connection = connection;
        _scripts = scripts;
        _options = options;
        _clock = clock;
        _terminations = terminations;
        _logger = logger;
        _resolutionMs = (long)options.EffectiveActivityResolution.TotalMilliseconds;
    }

    private KeySchema Keys => _scripts.Keys;

    private ValueTask<IConnectionMultiplexer> RedisAsync() => _connection.GetAsync();

    private async ValueTask<IDatabase> DbAsync() => (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();

    /// <summary>Creates a session, evicting (or refusing, with RejectNew) past the user's limit.</summary>
    public async Task<SessionRecord> CreateAsync(string userId, IReadOnlyList<KeyValuePair<string, string>> data, CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var user = UserKeys.For(Keys, userId);
        IReadOnlyList<string> victims = [];
        for (var attempt = 0; ; attempt++)
        {
            var sessionId = SessionIds.New(user.Tag);
            var result = await CreateSessionCall.RunAsync(db, _scripts, sessionId, user, victims, _terminations.ClaimOwner, data).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case CreateSessionCall.Outcome.Created:
                    _clock.Observe(result.NowMs);
                    await _terminations.RunNowAsync(user.Tag, result.Claimed.Select(c => new TagCalls.Claimed(c.SessionId, c.Fields)).ToList(), cancellationToken).ConfigureAwait(false);
                    return new SessionRecord
                    {
                        SessionId = sessionId,
                        UserId = userId,
                        CreatedMs = result.NowMs,
                        LastMs = result.NowMs,
                        ExpiresMs = result.ExpiresMs,
                        AbsoluteMs = _options.AbsoluteTimeout is { } absolute ? result.NowMs + (long)absolute.TotalMilliseconds : 0,
                        Node = _options.NodeName,
                        Data = data.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                    };
                case CreateSessionCall.Outcome.LimitReached:
                    throw new SessionLimitExceededException(userId, (int)result.Live, _options.MaxSessionsPerUser);
                case CreateSessionCall.Outcome.MustEvict when attempt < 8:
                    // The script names the sessions to evict; they are declared as keys of the next call, which
                    // evicts them if they are still the ones to go.
                    victims = result.Victims;
                    continue;
                case CreateSessionCall.Outcome.IdTaken when attempt < 8:
                    continue; // a 128-bit id collision: astronomically unlikely, but never overwrite
                default:
                    throw new SessionException($"Could not create a session for the user: its sessions kept changing while making room ({result.Outcome}).");
            }
        }
    }

    /// <summary>Loads a session for use: one HGETALL while its recorded activity is younger than the activity
    /// resolution and its expiry is clearly ahead on Redis's clock; otherwise the touch script decides and slides.</summary>
    public async Task<SessionRecord?> LoadForUseAsync(string tag, string sessionId, CancellationToken cancellationToken)
    {
        var redis = _connection.Current ?? await RedisAsync().ConfigureAwait(false);
        var entries = await redis.GetDatabase().HashGetAllAsync(Keys.Session(tag, sessionId)).ConfigureAwait(false);
        var record = SessionRecord.From(sessionId, entries);
        if (record is null || record.IsEnded)
        {
            return null;
        }
        if (_clock.TryGetNow(out var now) && now - record.LastMs < _resolutionMs && record.ExpiresMs - now > FastPathMarginMs)
        {
            return record;
        }
        var answer = await TouchAsync(tag, sessionId, UserKeys.For(Keys, record.UserId), _resolutionMs, cancellationToken).ConfigureAwait(false);
        return answer.Outcome == SessionOutcome.Ok ? record with { LastMs = answer.LastMs, ExpiresMs = answer.ExpiresMs } : null;
    }

    /// <summary><see cref="LoadForUseAsync"/>, and for a session that is gone the reason its hash still records (an ended
    /// session's snapshot or notice), read by the same HGETALL; a session found past its time is ended now, as expired.</summary>
    public async Task<(SessionRecord? Record, string? Reason)> LoadForUseOrReasonAsync(string tag, string sessionId, CancellationToken cancellationToken)
    {
        var redis = _connection.Current ?? await RedisAsync().ConfigureAwait(false);
        var entries = await redis.GetDatabase().HashGetAllAsync(Keys.Session(tag, sessionId)).ConfigureAwait(false);
        var record = SessionRecord.From(sessionId, entries);
        if (record is null)
        {
            // a notice keeps only ended and reason (no user field)
            var reason = entries.FirstOrDefault(e => e.Name == "reason").Value;
            return (null, reason.IsNull ? null : (string?)reason);
        }
        if (record.IsEnded)
        {
            return (null, record.Reason);
        }
        if (_clock.TryGetNow(out var now) && now - record.LastMs < _resolutionMs && record.ExpiresMs - now > FastPathMarginMs)
        {
            return (record, null);
        }
        var answer = await TouchAsync(tag, sessionId, UserKeys.For(Keys, record.UserId), _resolutionMs, cancellationToken).ConfigureAwait(false);
        return answer.Outcome switch
        {
            SessionOutcome.Ok => (record with { LastMs = answer.LastMs, ExpiresMs = answer.ExpiresMs }, null),
            SessionOutcome.Expired => (null, record.AbsoluteMs > 0 && record.AbsoluteMs <= record.ExpiresMs ? "absolute_timeout" : "expired"),
            _ => (null, null),
        };
    }

    /// <summary>Reads a session without counting it as activity; null when unknown, ended, or past its time.</summary>
    public async Task<SessionRecord?> PeekAsync(string tag, string sessionId)
    {
        var db = await DbAsync().ConfigureAwait(false);
        // Redis's clock asked together with the read (one round trip): a session at its expiry is not shown as live.
        var now = RedisTimeAsync(db);
        var record = SessionRecord.From(sessionId, await db.HashGetAllAsync(Keys.Session(tag, sessionId)).ConfigureAwait(false));
        if (record is null || record.IsEnded)
        {
            return null;
        }
        return record.ExpiresMs > await now.ConfigureAwait(false) ? record : null;
    }

    /// <summary>Why a session ended, while its snapshot or notice is still kept.</summary>
    public async Task<string?> FindReasonAsync(string tag, string sessionId)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var values = await db.HashGetAsync(Keys.Session(tag, sessionId), ["ended", "reason"]).ConfigureAwait(false);
        return values[0].IsNull ? null : (string?)values[1];
    }

    /// <summary>The user's live sessions, oldest first: the user's index from now on, read in batches.</summary>
    public async Task<List<SessionRecord>> ListUserAsync(string userId)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var user = UserKeys.For(Keys, userId);
        var now = await RedisTimeAsync(db).ConfigureAwait(false);
        var sessions = new List<(SessionRecord Record, int Position)>();
        for (var skip = 0L; ; skip += UserBatch)
        {
            var ids = await db.SortedSetRangeByScoreAsync(user.Index, now, double.PositiveInfinity, Exclude.Start, skip: skip, take: UserBatch).ConfigureAwait(false);
            var reads = ids.Select(id => (Id: (string)id!, Read: db.HashGetAllAsync(Keys.Session(user.Tag, (string)id!)))).ToList();
            foreach (var (id, read) in reads)
            {
                var record = SessionRecord.From(id, await read.ConfigureAwait(false));
                if (record is { IsEnded: false } && record.UserId == userId && record.ExpiresMs > now)
                {
                    sessions.Add((record, sessions.Count));
                }
            }
            if (ids.Length < UserBatch)
            {
                break;
            }
        }
        // Oldest first; logins within one millisecond in the order the index keeps for them.
        return sessions.OrderBy(s => s.Record.CreatedMs).ThenBy(s => s.Position).Select(s => s.Record).ToList();
    }

    /// <summary>Records activity (or, within the resolution, only checks the session is live).</summary>
    public async Task<SessionAnswer> TouchAsync(string tag, string sessionId, UserKeys user, long resolutionMs, CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var answer = await SessionCalls.TouchAsync(db, _scripts, sessionId, user, resolutionMs, _terminations.ClaimOwner).ConfigureAwait(false);
        return await SettleAsync(tag, sessionId, answer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets and removes data values in one step (counts as activity).</summary>
    public async Task<SessionAnswer> ChangeDataAsync(string tag, string sessionId, UserKeys user, IReadOnlyList<KeyValuePair<string, string>> set,
        IReadOnlyList<string> remove, CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var answer = await SessionCalls.SetDataAsync(db, _scripts, sessionId, user, _terminations.ClaimOwner, set, remove).ConfigureAwait(false);
        return await SettleAsync(tag, sessionId, answer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends one session; its callbacks (when this process has some) have run when this returns.</summary>
    public async Task<SessionAnswer> EndAsync(string tag, string sessionId, UserKeys user, TerminationReason reason, CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var answer = await SessionCalls.EndAsync(db, _scripts, sessionId, user, TerminationReasonNames.ToWire(reason), _terminations.ClaimOwner).ConfigureAwait(false);
        return await SettleAsync(tag, sessionId, answer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives a live session a new id.</summary>
    public async Task<(SessionAnswer Answer, SessionRecord? Record)> RotateAsync(string tag, string sessionId, UserKeys user, CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var newId = SessionIds.New(tag);
            var answer = await SessionCalls.RotateAsync(db, _scripts, sessionId, newId, user, _terminations.ClaimOwner).ConfigureAwait(false);
            if (answer.Outcome == SessionOutcome.IdTaken && attempt < 8)
            {
                continue;
            }
            if (answer.Outcome == SessionOutcome.Ok)
            {
                _clock.Observe(answer.NowMs);
                return (answer, SessionRecord.From(newId, answer.Fields!));
            }
            return (await SettleAsync(tag, sessionId, answer, cancellationToken).ConfigureAwait(false), null);
        }
    }

    /// <summary>Ends every session of a user but <paramref name="exceptSessionId"/>, in batches of
    /// <see cref="UserBatch"/>; the callbacks of each batch run before the next. Returns how many ended.</summary>
    public async Task<int> EndUserAsync(string userId, TerminationReason reason, string? exceptSessionId, CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var user = UserKeys.For(Keys, userId);
        var ended = 0;
        // Bounded: the user's index can't shrink forever while logins add to it at the same time.
        var budget = await db.SortedSetLengthAsync(user.Index).ConfigureAwait(false) + UserBatch;
        while (budget > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var ids = (await db.SortedSetRangeByRankAsync(user.Index, 0, UserBatch).ConfigureAwait(false))
                .Select(id => (string)id!).Where(id => id != exceptSessionId).Take(UserBatch).ToList();
            if (ids.Count == 0)
            {
                break;
            }
            budget -= ids.Count;
            var batch = await TagCalls.EndUserSessionsAsync(db, _scripts, user, ids, TerminationReasonNames.ToWire(reason), _terminations.ClaimOwner).ConfigureAwait(false);
            _clock.Observe(batch.NowMs);
            ended += batch.Ended;
            await _terminations.RunNowAsync(user.Tag, batch.Claims, cancellationToken).ConfigureAwait(false);
        }
        return ended;
    }

    /// <summary>The user a session belongs to, read from its hash (null when it is gone or ended).</summary>
    public async Task<string?> UserOfAsync(string tag, string sessionId)
    {
        var db = await DbAsync().ConfigureAwait(false);
        var values = await db.HashGetAsync(Keys.Session(tag, sessionId), ["user", "ended"]).ConfigureAwait(false);
        return values[0].IsNull || !values[1].IsNull ? null : (string?)values[0];
    }

    /// <summary>Redis's clock, asked (TIME): for reads that must not show a session past its time as live.</summary>
    public async Task<long> RedisTimeAsync(IDatabase db)
    {
        var parts = (RedisResult[])(await db.ExecuteAsync("TIME").ConfigureAwait(false))!;
        var now = (long)parts[0] * 1000 + (long)parts[1] / 1000;
        _clock.Observe(now);
        return now;
    }

    /// <summary>Runs what a script claimed for this process (the session it ended, or found past its time and ended)
    /// and notes Redis's clock. Not for rotate's answer, whose fields are the live session's.</summary>
    private async Task<SessionAnswer> SettleAsync(string tag, string sessionId, SessionAnswer answer, CancellationToken cancellationToken)
    {
        _clock.Observe(answer.NowMs);
        if (answer.Outcome is SessionOutcome.Expired or SessionOutcome.Ok && answer.Fields is { } fields)
        {
            await _terminations.RunNowAsync(tag, [new TagCalls.Claimed(sessionId, fields)], cancellationToken).ConfigureAwait(false);
        }
        if (answer.Outcome == SessionOutcome.WrongUser)
        {
            Log.WrongUser(_logger, sessionId);
        }
        return answer;
    }

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Warning, "Session {SessionId} is listed for another user than its hash names; it was left alone (was the hash edited by hand?)", EventName = "SessionUserMismatch")]
        public static partial void WrongUser(ILogger logger, string sessionId);
    }
}
