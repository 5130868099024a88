using RedisSessions.Keys;
using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>The scripts that work on a tag's indexes with typed arguments: ending a batch of one user's sessions, the
/// termination leases (claim, renew, acknowledge, release), and the tag's schedule and figures.</summary>
internal static class TagCalls
{
    /// <summary>A termination this process claimed: the snapshot and the attempt its lease is for.</summary>
    public readonly record struct Claimed(string SessionId, RedisValue[] Fields);

    /// <param name="NowMs">Redis's clock.</param>
    /// <param name="Ended">Sessions ended.</param>
    /// <param name="Lost">Index entries whose hash was already gone.</param>
    /// <param name="Claims">Terminations claimed for this process.</param>
    public readonly record struct EndBatch(long NowMs, int Ended, int Lost, IReadOnlyList<Claimed> Claims);

    /// <summary>Ends <paramref name="sessionIds"/> of one user: every one (<paramref name="reason"/> a wire name), or
    /// with <paramref name="reason"/> empty only those whose time is up (the sweep).</summary>
    public static async Task<EndBatch> EndUserSessionsAsync(IDatabaseAsync db, ScriptContext c, UserKeys user, IReadOnlyList<string> sessionIds, string reason, RedisValue owner)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[5 + sessionIds.Count];
        redisKeys[0] = user.Index;
        redisKeys[1] = keys.Due(user.Tag);
        redisKeys[2] = keys.Pending(user.Tag);
        redisKeys[3] = keys.Wake(user.Tag);
        redisKeys[4] = keys.Sessions(user.Tag);
        var values = new RedisValue[8 + sessionIds.Count];
        values[0] = user.UserId;
        values[1] = user.Member;
        values[2] = reason;
        values[3] = owner;
        values[4] = c.LeaseMs;
        values[5] = c.RetentionMs;
        values[6] = c.Channel;
        values[7] = c.TagBase(user.Tag);
        for (var i = 0; i < sessionIds.Count; i++)
        {
            redisKeys[5 + i] = keys.Session(user.Tag, sessionIds[i]);
            values[8 + i] = sessionIds[i];
        }
        var reply = new ScriptReply(await SessionScripts.EndUserSessions.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false));
        return new EndBatch(reply.Long(0), (int)reply.Long(1), (int)reply.Long(2), ReadClaims(reply, 3));
    }

    /// <param name="NowMs">Redis's clock.</param>
    /// <param name="Lost">Pending entries whose snapshot was gone.</param>
    /// <param name="Claims">What was claimed (candidates another process took first are left out).</param>
    public readonly record struct ClaimBatch(long NowMs, int Lost, IReadOnlyList<Claimed> Claims);

    /// <summary>Claims those of <paramref name="sessionIds"/> (read from the tag's pending index) that are ready or whose lease ran out.</summary>
    public static async Task<ClaimBatch> ClaimAsync(IDatabaseAsync db, ScriptContext c, string tag, IReadOnlyList<string> sessionIds, RedisValue owner)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[2 + sessionIds.Count];
        redisKeys[0] = keys.Pending(tag);
        redisKeys[1] = keys.Wake(tag);
        var values = new RedisValue[2 + sessionIds.Count];
        values[0] = owner;
        values[1] = c.LeaseMs;
        for (var i = 0; i < sessionIds.Count; i++)
        {
            redisKeys[2 + i] = keys.Session(tag, sessionIds[i]);
            values[2 + i] = sessionIds[i];
        }
        var reply = new ScriptReply(await SessionScripts.ClaimTerminations.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false));
        return new ClaimBatch(reply.Long(0), (int)reply.Long(1), ReadClaims(reply, 2));
    }

    /// <summary>Renews the leases of <paramref name="held"/> (session id, attempt); returns the ids whose lease this
    /// process no longer holds.</summary>
    public static async Task<(long NowMs, IReadOnlyList<string> Lost)> RenewAsync(IDatabaseAsync db, ScriptContext c, string tag, IReadOnlyList<(string SessionId, long Attempt)> held, RedisValue owner)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[2 + held.Count];
        redisKeys[0] = keys.Pending(tag);
        redisKeys[1] = keys.Wake(tag);
        var values = new RedisValue[2 + 2 * held.Count];
        values[0] = owner;
        values[1] = c.LeaseMs;
        for (var i = 0; i < held.Count; i++)
        {
            redisKeys[2 + i] = keys.Session(tag, held[i].SessionId);
            values[2 + 2 * i] = held[i].SessionId;
            values[3 + 2 * i] = held[i].Attempt;
        }
        var reply = new ScriptReply(await SessionScripts.RenewLeases.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false));
        var lost = new string[reply.Count - 1];
        for (var i = 1; i < reply.Count; i++)
        {
            lost[i - 1] = reply.Text(i);
        }
        return (reply.Long(0), lost);
    }

    /// <summary>True when this process still held the lease and the termination is now done.</summary>
    public static async Task<bool> AcknowledgeAsync(IDatabaseAsync db, ScriptContext c, string tag, string sessionId, long attempt, RedisValue owner)
    {
        var keys = c.Keys;
        var result = await SessionScripts.AcknowledgeTermination.EvaluateAsync(db, [keys.Pending(tag), keys.Session(tag, sessionId), keys.Due(tag), keys.Wake(tag)],
            [sessionId, owner, attempt, c.NoticeMs]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>True when this process still held the lease and gave it back.</summary>
    public static async Task<bool> ReleaseAsync(IDatabaseAsync db, ScriptContext c, string tag, string sessionId, long attempt, RedisValue owner)
    {
        var keys = c.Keys;
        var result = await SessionScripts.ReleaseTermination.EvaluateAsync(db, [keys.Pending(tag), keys.Session(tag, sessionId)],
            [sessionId, owner, attempt, c.Channel, c.TagBase(tag)]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>When the tag next has work: (Redis's clock, earliest expiry or -1, earliest pending score or -1).</summary>
    public static async Task<(long NowMs, long Due, long Pending)> NextDueAsync(IDatabaseAsync db, ScriptContext c, string tag)
    {
        var reply = new ScriptReply(await SessionScripts.NextDue.EvaluateAsync(db, [c.Keys.Due(tag), c.Keys.Pending(tag)], []).ConfigureAwait(false));
        return (reply.Long(0), reply.Long(1), reply.Long(2));
    }

    /// <summary>Re-arms the tag's wake key after a sweep: (Redis's clock, when it now expires or -1).</summary>
    public static async Task<(long NowMs, long Next)> RearmWakeAsync(IDatabaseAsync db, ScriptContext c, string tag)
    {
        var reply = new ScriptReply(await SessionScripts.RearmWake.EvaluateAsync(db, [c.Keys.Due(tag), c.Keys.Pending(tag), c.Keys.Wake(tag)], []).ConfigureAwait(false));
        return (reply.Long(0), reply.Long(1));
    }

    /// <param name="NowMs">Redis's clock.</param>
    /// <param name="Sessions">Sessions not ended yet.</param>
    /// <param name="Users">Users with a session in the index.</param>
    /// <param name="Pending">Ended sessions waiting for a handler.</param>
    /// <param name="DueUsers">Users with a session past its time that no sweep has ended yet.</param>
    public readonly record struct Figures(long NowMs, long Sessions, long Users, long Pending, long DueUsers);

    public static async Task<Figures> StatsAsync(IDatabaseAsync db, ScriptContext c, string tag)
    {
        var reply = new ScriptReply(await SessionScripts.TagStats.EvaluateAsync(db, [c.Keys.Due(tag), c.Keys.Pending(tag), c.Keys.Sessions(tag)], []).ConfigureAwait(false));
        return new Figures(reply.Long(0), reply.Long(1), reply.Long(2), reply.Long(3), reply.Long(4));
    }

    private static List<Claimed> ReadClaims(ScriptReply reply, int start)
    {
        var claims = new List<Claimed>((reply.Count - start) / 2);
        for (var i = start; i + 1 < reply.Count; i += 2)
        {
            claims.Add(new Claimed(reply.Text(i), reply.Fields(i + 1)));
        }
        return claims;
    }
}
