using RedisSessions.Keys;
using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>touch_session, set_session_data, end_session and rotate_session with typed arguments: the scripts that act
/// on one session of a known user. KEYS are always the session, the user's index, the tag's due index, pending index
/// and sessions counter (rotate adds the new id's key).</summary>
internal static class SessionCalls
{
    /// <summary>Records activity when the recorded one is at least <paramref name="resolutionMs"/> old.</summary>
    public static async Task<SessionAnswer> TouchAsync(IDatabaseAsync db, ScriptContext c, string sessionId, UserKeys user, RedisValue resolutionMs, RedisValue owner)
    {
        var values = new RedisValue[]
        {
            sessionId, user.UserId, user.Member, c.IdleMs, c.GraceMs, resolutionMs, owner, c.LeaseMs, c.RetentionMs, c.Channel, c.TagBase(user.Tag),
        };
        var reply = await SessionScripts.TouchSession.EvaluateAsync(db, SessionKeys(c, sessionId, user), values).ConfigureAwait(false);
        return SessionAnswer.Read(new ScriptReply(reply), "touch_session");
    }

    /// <summary>Sets <paramref name="set"/> (key, value pairs) and removes <paramref name="remove"/> (keys) in one step.</summary>
    public static async Task<SessionAnswer> SetDataAsync(IDatabaseAsync db, ScriptContext c, string sessionId, UserKeys user, RedisValue owner,
        IReadOnlyList<KeyValuePair<string, string>> set, IReadOnlyList<string> remove)
    {
        var values = new RedisValue[13 + 2 * set.Count + remove.Count];
        values[0] = sessionId;
        values[1] = user.UserId;
        values[2] = user.Member;
        values[3] = c.IdleMs;
        values[4] = c.GraceMs;
        values[5] = c.ResolutionMs;
        values[6] = owner;
        values[7] = c.LeaseMs;
        values[8] = c.RetentionMs;
        values[9] = c.Channel;
        values[10] = c.TagBase(user.Tag);
        values[11] = c.MaxDataBytes;
        values[12] = set.Count;
        var at = 13;
        foreach (var (key, value) in set)
        {
            values[at++] = key;
            values[at++] = value;
        }
        foreach (var key in remove)
        {
            values[at++] = key;
        }
        var reply = await SessionScripts.SetSessionData.EvaluateAsync(db, SessionKeys(c, sessionId, user), values).ConfigureAwait(false);
        return SessionAnswer.Read(new ScriptReply(reply), "set_session_data");
    }

    /// <summary>Ends the session with <paramref name="reason"/> (a wire name), claimed by <paramref name="owner"/> ('' = any handler).</summary>
    public static async Task<SessionAnswer> EndAsync(IDatabaseAsync db, ScriptContext c, string sessionId, UserKeys user, string reason, RedisValue owner)
    {
        var values = new RedisValue[] { sessionId, user.UserId, user.Member, reason, owner, c.LeaseMs, c.RetentionMs, c.Channel, c.TagBase(user.Tag) };
        var reply = await SessionScripts.EndSession.EvaluateAsync(db, SessionKeys(c, sessionId, user), values).ConfigureAwait(false);
        return SessionAnswer.Read(new ScriptReply(reply), "end_session");
    }

    /// <summary>Moves a live session to <paramref name="newSessionId"/> and records activity.</summary>
    public static async Task<SessionAnswer> RotateAsync(IDatabaseAsync db, ScriptContext c, string sessionId, string newSessionId, UserKeys user, RedisValue owner)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[]
        {
            keys.Session(user.Tag, sessionId), keys.Session(user.Tag, newSessionId), user.Index, keys.Due(user.Tag), keys.Pending(user.Tag), keys.Sessions(user.Tag),
        };
        var values = new RedisValue[]
        {
            sessionId, newSessionId, user.UserId, user.Member, c.IdleMs, c.GraceMs, owner, c.LeaseMs, c.RetentionMs, c.Channel, c.TagBase(user.Tag),
        };
        var reply = await SessionScripts.RotateSession.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false);
        return SessionAnswer.Read(new ScriptReply(reply), "rotate_session");
    }

    private static RedisKey[] SessionKeys(ScriptContext c, string sessionId, UserKeys user)
    {
        var keys = c.Keys;
        return [keys.Session(user.Tag, sessionId), user.Index, keys.Due(user.Tag), keys.Pending(user.Tag), keys.Sessions(user.Tag)];
    }
}
