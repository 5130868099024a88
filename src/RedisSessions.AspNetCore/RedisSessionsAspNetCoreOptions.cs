using System.Security.Claims;

namespace RedisSessions.AspNetCore;

/// <summary>How the ASP.NET Core integration maps requests to RedisSessions sessions. Bound from the
/// <c>RedisSessions:AspNetCore</c> configuration section (appsettings.json, <c>RedisSessions__AspNetCore__*</c>
/// environment variables), then the delegate given to <c>AddRedisSessionStore</c>; validated at start. The session
/// behaviour itself (timeouts, per-user limit, limit policy, data size) is <see cref="SessionOptions"/>, the
/// <c>RedisSessions</c> section.</summary>
public sealed class RedisSessionsAspNetCoreOptions
{
    /// <summary>The configuration section bound to these options: <c>RedisSessions:AspNetCore</c>.</summary>
    public const string SectionName = "RedisSessions:AspNetCore";

    /// <summary>The claim whose value is the RedisSessions user id of a signed-in principal (the per-user limit and the
    /// devices page go by it). When the principal has no such claim, its name (<see cref="System.Security.Principal.IIdentity.Name"/>,
    /// then a <see cref="ClaimTypes.Name"/> claim) is used. Defaults to <see cref="ClaimTypes.NameIdentifier"/>.</summary>
    public string UserIdClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>Whether sign-in records the browser's <c>User-Agent</c> header (at most 512 characters) in the session
    /// data (<see cref="WebSessionDataKeys.UserAgent"/>), for a devices page. Defaults to true.</summary>
    public bool RecordUserAgent { get; set; } = true;

    /// <summary>Whether sign-in records the client's IP address (<see cref="Microsoft.AspNetCore.Http.ConnectionInfo.RemoteIpAddress"/>)
    /// in the session data (<see cref="WebSessionDataKeys.RemoteIpAddress"/>). Personal data, and behind a load balancer
    /// it is the balancer's address unless the app runs the forwarded-headers middleware. Defaults to false.</summary>
    public bool RecordRemoteIpAddress { get; set; }

    /// <summary>Whether the <c>HttpContext.Session</c> values a browser had before signing in move into its new signed-in
    /// session (the pre-sign-in session state ends either way; the new session always has a new id). Only applies with
    /// <c>AddRedisSessionState</c>. Defaults to true.</summary>
    public bool CarrySessionStateOnSignIn { get; set; } = true;

    internal IEnumerable<string> GetProblems()
    {
        if (string.IsNullOrWhiteSpace(UserIdClaimType))
        {
            yield return $"{SectionName}:{nameof(UserIdClaimType)} must name a claim type, e.g. \"{ClaimTypes.NameIdentifier}\" (was empty).";
        }
    }
}
