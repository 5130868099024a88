namespace RedisSessions.WebBenchmarks;

/// <summary>The three versions of the same minimal app: a sign-in endpoint and a signed-in page.</summary>
internal enum WebSide
{
    /// <summary>Cookie authentication with RedisSessions' ticket store (the cookie holds a session id; every request
    /// loads the session from Redis) and its HttpContext.Session store.</summary>
    RedisSessions,

    /// <summary>The same ticket store, the value kept in the session's own data (<c>RedisSessionsFeature.Session</c>) and
    /// no session middleware: what HttpContext.Session's middleware costs.</summary>
    RedisSessionsData,

    /// <summary>Cookie authentication (the ticket in the cookie) and ASP.NET Core's own AddSession over
    /// AddStackExchangeRedisCache for HttpContext.Session.</summary>
    AspNetCoreSession,

    /// <summary>Cookie authentication alone: everything in the cookie, no server state.</summary>
    PlainCookie,
}

internal static class WebSides
{
    public static readonly WebSide[] All = [WebSide.RedisSessions, WebSide.RedisSessionsData, WebSide.AspNetCoreSession, WebSide.PlainCookie];

    public static string Name(this WebSide side) => side switch
    {
        WebSide.RedisSessions => "RedisSessions",
        WebSide.RedisSessionsData => "RedisSessions, session data",
        WebSide.AspNetCoreSession => "AddSession + Redis cache",
        _ => "plain cookie",
    };

    public static string Setup(this WebSide side) => side switch
    {
        WebSide.RedisSessions => "`AddCookie().AddRedisSessionStore()` + `AddRedisSessionState()`: the ticket lives in Redis; the page's value comes from the same session read",
        WebSide.RedisSessionsData => "`AddCookie().AddRedisSessionStore()`, no `UseSession()`: the value in the session's own data (`RedisSessionsFeature.Session.GetData`)",
        WebSide.AspNetCoreSession => "`AddCookie()` + `AddSession()` over `AddStackExchangeRedisCache()`: the ticket in the cookie, HttpContext.Session in Redis",
        _ => "`AddCookie()` alone: the ticket and the value in the cookie, nothing on the server",
    };

    public static string Argument(this WebSide side) => side switch
    {
        WebSide.RedisSessions => "redissessions",
        WebSide.RedisSessionsData => "redissessions-data",
        WebSide.AspNetCoreSession => "addsession",
        _ => "cookie",
    };

    public static WebSide Parse(string argument)
    {
        foreach (var side in All)
        {
            if (side.Argument() == argument)
            {
                return side;
            }
        }
        throw new ArgumentException($"Unknown side '{argument}': {string.Join(", ", All.Select(s => s.Argument()))}.");
    }
}
