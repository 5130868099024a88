using Microsoft.Extensions.Logging;
using RedisSessions.Diagnostics;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using RedisSessions.Store;
using StackExchange.Redis;

namespace RedisSessions.Expiry;

/// <summary>
/// Ends the sessions of a tag whose time is up — the authority behind every faster path (keyspace events, the deadline
/// schedule), which only say when to come. It walks the tag's due index in bounded rounds: at most
/// <see cref="UsersPerRound"/> users whose earliest expiry has passed, at most <see cref="SessionsPerUser"/> of each
/// one's sessions, each user's batch one script (end_user_sessions) that checks every session against Redis's clock.
/// It ends sessions unclaimed (any process with handlers claims them as it has room) and stops as soon as a round ends
/// nothing: a sweep never spins on what it may not touch.
/// </summary>
internal sealed partial class TagSweeper
{
    public const int UsersPerRound = 50;
    public const int SessionsPerUser = 100;

    private readonly RedisConnection _connection;
    private readonly ScriptContext _scripts;
    private readonly RedisClock _clock;
    private readonly ILogger _logger;

    public TagSweeper(RedisConnection connection, ScriptContext scripts, RedisClock clock, ILogger logger)
    {
        _connection = connection;
        _scripts = scripts;
        _clock = clock;
        _logger = logger;
    }

    /// <param name="Ended">Sessions this sweep ended.</param>
    /// <param name="Lost">Index entries whose hash had already expired (nothing left to hand to a handler).</param>
    /// <param name="NextMs">When the tag next has a session expiring or a lease running out (-1: nothing).</param>
    public readonly record struct Result(int Ended, int Lost, long NextMs);

    public async Task<Result> SweepAsync(string tag, CancellationToken stop)
    {
        var db = (await _connection.GetAsync().ConfigureAwait(false)).GetDatabase();
        var keys = _scripts.Keys;
        var due = keys.Due(tag);
        int ended = 0, lost = 0;
        var bound = await RedisNowAsync(db).ConfigureAwait(false);
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            var members = await db.SortedSetRangeByScoreAsync(due, double.NegativeInfinity, bound, take: UsersPerRound).ConfigureAwait(false);
            if (members.Length == 0)
            {
                break;
            }
            var users = members.Select(m => UserKeys.ForMember(keys, tag, (string)m!)).ToList();
            var reads = users.Select(u => db.SortedSetRangeByScoreAsync(u.Index, double.NegativeInfinity, bound, take: SessionsPerUser)).ToList();
            var batches = new List<Task<TagCalls.EndBatch>>(users.Count);
            for (var i = 0; i < users.Count; i++)
            {
                var ids = (await reads[i].ConfigureAwait(false)).Select(id => (string)id!).ToList();
                // Even with no id, the call re-scores the user in the due index from its own index.
                batches.Add(TagCalls.EndUserSessionsAsync(db, _scripts, users[i], ids, reason: string.Empty, owner: RedisValue.EmptyString));
            }
            var progress = 0;
            foreach (var batch in batches)
            {
                var result = await batch.ConfigureAwait(false);
                _clock.Observe(result.NowMs);
                bound = Math.Max(bound, result.NowMs);
                ended += result.Ended;
                lost += result.Lost;
                progress += result.Ended + result.Lost;
            }
            if (progress == 0)
            {
                break;
            }
        }
        var (now, next) = await TagCalls.RearmWakeAsync(db, _scripts, tag).ConfigureAwait(false);
        _clock.Observe(now);
        if (lost > 0)
        {
            SessionMetrics.Lost.Add(lost);
            Log.LostBeforeSweep(_logger, lost, tag);
        }
        return new Result(ended, lost, next);
    }

    private async Task<long> RedisNowAsync(IDatabase db)
    {
        if (_clock.TryGetNow(out var now))
        {
            return now;
        }
        var parts = (RedisResult[])(await db.ExecuteAsync("TIME").ConfigureAwait(false))!;
        now = (long)parts[0] * 1000 + (long)parts[1] / 1000;
        _clock.Observe(now);
        return now;
    }

    private static partial class Log
    {
        [LoggerMessage(106, LogLevel.Warning, "{Count} session(s) of tag {Tag} ran out more than ExpiredSessionGrace before any sweep reached them: their data was gone and no termination callback ran for them (is any RedisSessions process running its sweep?)", EventName = "SessionsLostBeforeSweep")]
        public static partial void LostBeforeSweep(ILogger logger, int count, string tag);
    }
}
