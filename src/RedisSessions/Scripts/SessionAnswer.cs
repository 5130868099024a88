using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>What the scripts that act on one live session answer (touch, set-data, rotate, end).</summary>
internal enum SessionOutcome
{
    /// <summary>No answer yet (the default value: never taken for success).</summary>
    None,

    /// <summary>Done; the session is live (or, for end, ended now).</summary>
    Ok,

    /// <summary>Unknown id, or already ended: nothing was written.</summary>
    Gone,

    /// <summary>The session belongs to another user than the caller said: nothing was written.</summary>
    WrongUser,

    /// <summary>Its time was up: it was ended now (reason expired or absolute_timeout) instead.</summary>
    Expired,

    /// <summary>set-data only: the data would exceed MaxDataBytes; nothing was written.</summary>
    TooLarge,

    /// <summary>rotate only: the new id is taken (try another).</summary>
    IdTaken,
}

/// <summary>A script's answer about one session.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="NowMs">Redis's clock when the script ran (0 when it did not say).</param>
/// <param name="LastMs">Last recorded activity (Ok).</param>
/// <param name="ExpiresMs">Expiry (Ok).</param>
/// <param name="CreatedMs">Creation (Ok, touch and set-data).</param>
/// <param name="Wrote">touch: whether the activity was recorded (false within the activity resolution).</param>
/// <param name="Removed">set-data: how many of the keys to remove were there.</param>
/// <param name="Size">set-data: the size the data would have had (TooLarge).</param>
/// <param name="Owner">The session's user (WrongUser).</param>
/// <param name="Fields">rotate: the session's fields; end/expired: the snapshot when this process claimed it.</param>
internal readonly record struct SessionAnswer(SessionOutcome Outcome, long NowMs, long LastMs, long ExpiresMs, long CreatedMs, bool Wrote, long Size,
    string? Owner, RedisValue[]? Fields, long Removed = 0)
{
    /// <summary>The answer for a session known to be gone without asking a script.</summary>
    public static SessionAnswer Gone { get; } = new(SessionOutcome.Gone, 0, 0, 0, 0, false, 0, null, null);

    public static SessionAnswer Read(ScriptReply reply, string script)
    {
        switch (reply.Status)
        {
            case "ok":
                return reply.Count switch
                {
                    // touch: {'ok', now, last, expires, created, wrote}; set-data: the same with removed for wrote
                    >= 5 => new SessionAnswer(SessionOutcome.Ok, reply.Long(1), reply.Long(2), reply.Long(3), reply.Long(4), reply.Count > 5 && reply.Long(5) == 1, 0, null, null,
                        reply.Count > 5 ? reply.Long(5) : 0),
                    // rotate / end: {'ok', now[, fields]}
                    3 => new SessionAnswer(SessionOutcome.Ok, reply.Long(1), 0, 0, 0, false, 0, null, reply.Fields(2)),
                    _ => new SessionAnswer(SessionOutcome.Ok, reply.Long(1), 0, 0, 0, false, 0, null, null),
                };
            case "gone":
                return new SessionAnswer(SessionOutcome.Gone, 0, 0, 0, 0, false, 0, null, null);
            case "wrong_user":
                return new SessionAnswer(SessionOutcome.WrongUser, 0, 0, 0, 0, false, 0, reply.Text(1), null);
            case "expired":
                return new SessionAnswer(SessionOutcome.Expired, reply.Long(1), 0, 0, 0, false, 0, null, reply.Count > 2 ? reply.Fields(2) : null);
            case "too_large":
                return new SessionAnswer(SessionOutcome.TooLarge, 0, 0, 0, 0, false, reply.Long(1), null, null);
            case "exists":
                return new SessionAnswer(SessionOutcome.IdTaken, 0, 0, 0, 0, false, 0, null, null);
            default:
                throw new SessionException($"{script} answered '{reply.Status}'.");
        }
    }
}
