namespace RedisSessions.AspNetCore;

/// <summary>
/// What the RedisSessions ticket store found for this request, in <c>HttpContext.Features</c>
/// (<c>context.Features.Get&lt;RedisSessionsFeature&gt;()</c>) once authentication ran (<c>UseAuthentication</c>). Absent
/// when the request carried no authentication cookie of a scheme using the store.
/// </summary>
public sealed class RedisSessionsFeature
{
    /// <summary>The live session the request is signed in with (loaded for use: its expiry has slid), or the one a
    /// sign-in in this request created. Null when the request is not signed in through the store.</summary>
    public Session? Session { get; internal set; }

    /// <summary>Set when the request's cookie names a session that has ended (another device, an operator, the
    /// per-user limit, inactivity): the request is anonymous, and this says why, so the app can tell the user.</summary>
    public SessionEnd? EndedSession { get; internal set; }

    /// <summary>True when Redis could not be reached while loading the session: the request was treated as anonymous
    /// (fail closed) and the cookie was kept, so the browser is signed in again once Redis is back. An app may answer
    /// 503 instead of a sign-in page.</summary>
    public bool StoreUnavailable { get; internal set; }
}
