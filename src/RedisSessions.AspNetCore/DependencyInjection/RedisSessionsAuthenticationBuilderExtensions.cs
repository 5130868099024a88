using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.AspNetCore;
using RedisSessions.AspNetCore.Authentication;
using RedisSessions.AspNetCore.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts cookie authentication's tickets into RedisSessions.</summary>
public static class RedisSessionsAuthenticationBuilderExtensions
{
    /// <summary>Stores the tickets of the default cookie scheme (<see cref="CookieAuthenticationDefaults.AuthenticationScheme"/>)
    /// in RedisSessions: <c>services.AddAuthentication().AddCookie().AddRedisSessionStore()</c>. See
    /// <see cref="AddRedisSessionStore(AuthenticationBuilder, string, Action{RedisSessionsAspNetCoreOptions}?)"/>.</summary>
    public static AuthenticationBuilder AddRedisSessionStore(this AuthenticationBuilder builder, Action<RedisSessionsAspNetCoreOptions>? configure = null) =>
        builder.AddRedisSessionStore(CookieAuthenticationDefaults.AuthenticationScheme, configure);

    /// <summary>
    /// Stores the tickets of the cookie scheme <paramref name="authenticationScheme"/> in RedisSessions
    /// (<see cref="CookieAuthenticationOptions.SessionStore"/>, set through options after the app's own configuration):
    /// the cookie carries only the session id; each sign-in creates a session under the per-user limit
    /// (<see cref="SessionOptions.MaxSessionsPerUser"/>; with <see cref="SessionLimitPolicy.RejectNew"/> the sign-in throws
    /// <see cref="SessionLimitExceededException"/>); each request loads the session for use, so Redis decides expiry; a
    /// session ended anywhere signs the browser out on its next request, with the reason in
    /// <see cref="RedisSessionsFeature"/>. Also registers <see cref="DeviceSessionService"/>, the options
    /// (<c>RedisSessions:AspNetCore</c> section, then <paramref name="configure"/>, validated at start), Data
    /// Protection with a start-up warning when its keys are not shared, and <c>AddRedisSessions()</c> when the app has not.
    /// </summary>
    public static AuthenticationBuilder AddRedisSessionStore(this AuthenticationBuilder builder, string authenticationScheme, Action<RedisSessionsAspNetCoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(authenticationScheme);
        RedisSessionsWebServices.Add(builder.Services, configure);
        builder.Services.AddSingleton<IPostConfigureOptions<CookieAuthenticationOptions>>(provider => new TicketStorePostConfigure(authenticationScheme, provider));
        return builder;
    }
}
