using System.Globalization;
using RedisSessions.Keys;
using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>The admin API's scripts with typed arguments and answers: reads that see one instant on Redis's clock
/// (read_sessions, inspect_session) and the cleanup repairs, each of which re-checks inside Redis what it fixes.</summary>
internal static class AdminCalls
{
    /// <summary>One session hash as read_sessions returns it (every number 0 when the field is missing).</summary>
    /// <param name="SessionId">The id the hash was read for.</param>
    /// <param name="User">Field <c>user</c>; null when missing (no hash, or an ended session's notice).</param>
    /// <param name="CreatedMs">Field <c>created</c>.</param>
    /// <param name="LastMs">Field <c>last</c>.</param>
    /// <param name="ExpiresMs">Field <c>expires</c>.</param>
    /// <param name="AbsoluteMs">Field <c>absolute</c>.</param>
    /// <param name="Node">Field <c>node</c>.</param>
    /// <param name="EndedMs">Field <c>ended</c>; 0 while live.</param>
    /// <param name="HasEnded">Whether field <c>ended</c> is there.</param>
    /// <param name="DataCount">How many <c>d:</c> fields it holds.</param>
    /// <param name="Data">The data values (only when asked for).</param>
    internal readonly record struct StoredSession(string SessionId, string? User, long CreatedMs, long LastMs, long ExpiresMs, long AbsoluteMs, string? Node,
        long EndedMs, bool HasEnded, int DataCount, IReadOnlyDictionary<string, string>? Data)
    {
        /// <summary>Neither a user nor an end: there is no session hash (or what is there is not one).</summary>
        public bool IsMissing => User is null && !HasEnded;

        /// <summary>A session not ended yet (whether or not its time is up).</summary>
        public bool IsOpen => User is not null && !HasEnded;
    }

    /// <summary>Reads <paramref name="sessionIds"/> of one tag: (Redis's clock, one entry per id, in order).</summary>
    public static async Task<(long NowMs, StoredSession[] Sessions)> ReadSessionsAsync(IDatabaseAsync db, KeySchema keys, string tag, IReadOnlyList<string> sessionIds, bool withData)
    {
        var redisKeys = new RedisKey[sessionIds.Count];
        for (var i = 0; i < sessionIds.Count; i++)
        {
            redisKeys[i] = keys.Session(tag, sessionIds[i]);
        }
        var reply = new ScriptReply(await SessionScripts.ReadSessions.EvaluateAsync(db, redisKeys, [withData ? "1" : "0"]).ConfigureAwait(false));
        var sessions = new StoredSession[sessionIds.Count];
        for (var i = 0; i < sessionIds.Count; i++)
        {
            var e = new ScriptReply(reply[i + 1]);
            Dictionary<string, string>? data = null;
            if (withData)
            {
                data = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var j = 8; j + 1 < e.Count; j += 2)
                {
                    data[e.Text(j)] = e.Text(j + 1);
                }
            }
            sessions[i] = new StoredSession(sessionIds[i], NullableText(e[0]), Number(e[1]), Number(e[2]), Number(e[3]), Number(e[4]), NullableText(e[5]),
                Number(e[6]), !e[6].IsNull, (int)e.Long(7), data);
        }
        return (reply.Long(0), sessions);
    }

    /// <summary>What inspect_session read: every number -1 or null where there is nothing.</summary>
    internal readonly record struct Inspection(long NowMs, RedisValue[] Fields, long TimeToLiveMs, long ExpireTimeMs, double? PendingScore, long WakeExpireTimeMs,
        string? Counter, double? UserIndexScore, string? EarliestSessionId, double? EarliestScore, double? DueScore);

    /// <summary>Reads one session with its indexes at one instant; <paramref name="user"/> null when the hash names none.</summary>
    public static async Task<Inspection> InspectAsync(IDatabaseAsync db, KeySchema keys, string tag, string sessionId, UserKeys? user)
    {
        var redisKeys = new List<RedisKey> { keys.Session(tag, sessionId), keys.Pending(tag), keys.Wake(tag), keys.Sessions(tag), keys.Due(tag) };
        if (user is { } u)
        {
            redisKeys.Add(u.Index);
        }
        var reply = new ScriptReply(await SessionScripts.InspectSession.EvaluateAsync(db, [.. redisKeys], [sessionId, user?.Member ?? string.Empty]).ConfigureAwait(false));
        var earliest = new ScriptReply(reply[8]);
        return new Inspection(reply.Long(0), reply.Fields(1), reply.Long(2), reply.Long(3), Score(reply[4]), reply.Long(5), NullableText(reply[6]),
            Score(reply[7]), earliest.Count >= 2 ? earliest.Text(0) : null, earliest.Count >= 2 ? Score(earliest[1]) : null, Score(reply[9]));
    }

    /// <summary>An entry of a user's index cleanup removes: what the plan found ('gone', 'ended' or 'foreign') and, for
    /// 'foreign', the user the hash names.</summary>
    internal readonly record struct StaleEntry(string SessionId, string Finding, string OtherUser);

    /// <summary>Removes the entries still as the plan found them; (removed, skipped).</summary>
    public static async Task<(int Removed, int Skipped)> RepairUserIndexAsync(IDatabaseAsync db, ScriptContext c, UserKeys user, IReadOnlyList<StaleEntry> entries)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[3 + entries.Count];
        redisKeys[0] = user.Index;
        redisKeys[1] = keys.Due(user.Tag);
        redisKeys[2] = keys.Sessions(user.Tag);
        var values = new RedisValue[1 + 3 * entries.Count];
        values[0] = user.Member;
        for (var i = 0; i < entries.Count; i++)
        {
            redisKeys[3 + i] = keys.Session(user.Tag, entries[i].SessionId);
            values[1 + 3 * i] = entries[i].SessionId;
            values[2 + 3 * i] = entries[i].Finding;
            values[3 + 3 * i] = entries[i].OtherUser;
        }
        var reply = new ScriptReply(await SessionScripts.RepairUserIndex.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false));
        return ((int)reply.Long(0), (int)reply.Long(1));
    }

    /// <summary>Re-scores the user in the due index from its own index; true when that changed anything.</summary>
    public static async Task<bool> ReindexDueAsync(IDatabaseAsync db, ScriptContext c, UserKeys user) =>
        (long)await SessionScripts.ReindexDue.EvaluateAsync(db, [user.Index, c.Keys.Due(user.Tag)], [user.Member]).ConfigureAwait(false) == 1;

    /// <summary>Lists a session its user's index lost again; true when it did.</summary>
    public static async Task<bool> ReindexSessionAsync(IDatabaseAsync db, ScriptContext c, string sessionId, UserKeys user)
    {
        var keys = c.Keys;
        var result = await SessionScripts.ReindexSession.EvaluateAsync(db, [keys.Session(user.Tag, sessionId), user.Index, keys.Due(user.Tag), keys.Wake(user.Tag)],
            [sessionId, user.UserId, user.Member]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>Removes pending entries whose snapshot is still gone; (removed, skipped).</summary>
    public static async Task<(int Removed, int Skipped)> RemoveLostPendingAsync(IDatabaseAsync db, ScriptContext c, string tag, IReadOnlyList<string> sessionIds)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[1 + sessionIds.Count];
        redisKeys[0] = keys.Pending(tag);
        var values = new RedisValue[sessionIds.Count];
        for (var i = 0; i < sessionIds.Count; i++)
        {
            redisKeys[1 + i] = keys.Session(tag, sessionIds[i]);
            values[i] = sessionIds[i];
        }
        var reply = new ScriptReply(await SessionScripts.RemoveLostPending.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false));
        return ((int)reply.Long(0), (int)reply.Long(1));
    }

    /// <summary>Hands a snapshot no pending entry points to back to the handlers; true when it did.</summary>
    public static async Task<bool> RequeueSnapshotAsync(IDatabaseAsync db, ScriptContext c, string tag, string sessionId)
    {
        var keys = c.Keys;
        var result = await SessionScripts.RequeueSnapshot.EvaluateAsync(db, [keys.Pending(tag), keys.Session(tag, sessionId)],
            [sessionId, c.Channel, c.TagBase(tag)]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>Writes the tag's counter when it still holds <paramref name="seen"/> (null: missing); true when written.</summary>
    public static async Task<bool> SetSessionCountAsync(IDatabaseAsync db, ScriptContext c, string tag, string? seen, long count) =>
        (long)await SessionScripts.SetSessionCount.EvaluateAsync(db, [c.Keys.Sessions(tag)], [seen ?? string.Empty, count]).ConfigureAwait(false) == 1;

    private static string? NullableText(RedisResult result) => result.IsNull ? null : (string?)result;

    private static long Number(RedisResult result) =>
        !result.IsNull && long.TryParse((string?)result, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static double? Score(RedisResult result) =>
        !result.IsNull && double.TryParse((string?)result, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) ? score : null;
}
