namespace RedisSessions.AspNetCore;

/// <summary>Names of the instruments the ASP.NET Core integration adds to the RedisSessions meter
/// (<see cref="SessionTelemetry.MeterName"/>).</summary>
public static class AspNetCoreTelemetry
{
    /// <summary>Counter of sign-ins through the ticket store, tagged <c>outcome</c>: <c>created</c>, <c>replaced</c>
    /// (a sign-in on a browser that was signed in), <c>rejected</c> (the per-user limit with
    /// <see cref="SessionLimitPolicy.RejectNew"/>), <c>unavailable</c> (Redis unreachable).</summary>
    public const string SignIns = "redissessions.aspnetcore.signins";

    /// <summary>Counter of requests whose cookie named a session that had ended, tagged <c>reason</c> (the stored
    /// reason name, or <c>unknown</c>).</summary>
    public const string EndedSessionRequests = "redissessions.aspnetcore.ended_session_requests";

    /// <summary>Counter of authentication cookies refused although they unprotected (a session id of another
    /// application, a ticket that does not unprotect or belongs to another user), tagged <c>cause</c>.</summary>
    public const string RejectedCookies = "redissessions.aspnetcore.rejected_cookies";

    /// <summary>Counter of requests where Redis was unreachable, tagged <c>operation</c>.</summary>
    public const string StoreUnavailable = "redissessions.aspnetcore.store_unavailable";
}
