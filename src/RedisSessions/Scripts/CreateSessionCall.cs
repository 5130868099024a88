using RedisSessions.Keys;
using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>create_session.lua with typed arguments and answer.</summary>
internal static class CreateSessionCall
{
    public enum Outcome
    {
        Created,
        LimitReached,
        MustEvict,
        IdTaken,
    }

    /// <param name="Outcome">What happened.</param>
    /// <param name="NowMs">Redis's clock when it ran (Created).</param>
    /// <param name="ExpiresMs">The new session's expiry (Created).</param>
    /// <param name="Live">Live sessions of the user (LimitReached).</param>
    /// <param name="Victims">The sessions to declare and evict (MustEvict).</param>
    /// <param name="Claimed">Evicted sessions this call claimed for this process: session id, snapshot fields.</param>
    public readonly record struct Result(Outcome Outcome, long NowMs, long ExpiresMs, long Live, string[] Victims, IReadOnlyList<(string SessionId, RedisValue[] Fields)> Claimed);

    public static async Task<Result> RunAsync(IDatabaseAsync db, ScriptContext c, string sessionId, UserKeys user, IReadOnlyList<string> victims,
        RedisValue owner, IReadOnlyList<KeyValuePair<string, string>> data)
    {
        var keys = c.Keys;
        var redisKeys = new RedisKey[6 + victims.Count];
        redisKeys[0] = keys.Session(user.Tag, sessionId);
        redisKeys[1] = user.Index;
        redisKeys[2] = keys.Due(user.Tag);
        redisKeys[3] = keys.Pending(user.Tag);
        redisKeys[4] = keys.Wake(user.Tag);
        redisKeys[5] = keys.Sessions(user.Tag);
        for (var i = 0; i < victims.Count; i++)
        {
            redisKeys[6 + i] = keys.Session(user.Tag, victims[i]);
        }
        var values = new RedisValue[15 + victims.Count + 2 * data.Count];
        values[0] = sessionId;
        values[1] = user.UserId;
        values[2] = user.Member;
        values[3] = c.IdleMs;
        values[4] = c.AbsoluteMs;
        values[5] = c.MaxSessions;
        values[6] = c.Policy;
        values[7] = c.GraceMs;
        values[8] = c.Node;
        values[9] = owner;
        values[10] = c.LeaseMs;
        values[11] = c.RetentionMs;
        values[12] = c.Channel;
        values[13] = c.TagBase(user.Tag);
        values[14] = victims.Count;
        var at = 15;
        foreach (var victim in victims)
        {
            values[at++] = victim;
        }
        foreach (var (key, value) in data)
        {
            values[at++] = key;
            values[at++] = value;
        }
        var reply = new ScriptReply(await SessionScripts.CreateSession.EvaluateAsync(db, redisKeys, values).ConfigureAwait(false));
        switch (reply.Status)
        {
            case "ok":
                var claimed = new List<(string, RedisValue[])>();
                for (var i = 3; i + 1 < reply.Count; i += 2)
                {
                    claimed.Add((reply.Text(i), reply.Fields(i + 1)));
                }
                return new Result(Outcome.Created, reply.Long(1), reply.Long(2), 0, [], claimed);
            case "limit":
                return new Result(Outcome.LimitReached, 0, 0, reply.Long(1), [], []);
            case "evict":
                var chosen = new string[reply.Count - 1];
                for (var i = 1; i < reply.Count; i++)
                {
                    chosen[i - 1] = reply.Text(i);
                }
                return new Result(Outcome.MustEvict, 0, 0, 0, chosen, []);
            case "exists":
                return new Result(Outcome.IdTaken, 0, 0, 0, [], []);
            default:
                throw new SessionException($"create_session answered '{reply.Status}'.");
        }
    }
}
