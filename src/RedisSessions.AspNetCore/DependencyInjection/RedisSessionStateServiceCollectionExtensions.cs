using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RedisSessions;
using RedisSessions.AspNetCore;
using RedisSessions.AspNetCore.DependencyInjection;
using RedisSessions.AspNetCore.SessionState;
using AspNetCoreSessionOptions = Microsoft.AspNetCore.Builder.SessionOptions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Backs <c>HttpContext.Session</c> with RedisSessions.</summary>
public static class RedisSessionStateServiceCollectionExtensions
{
    /// <summary>
    /// Adds ASP.NET Core's session (<c>AddSession</c>, then <c>app.UseSession()</c> after <c>app.UseAuthentication()</c>)
    /// with a store backed by RedisSessions. A signed-in request's values live in its sign-in session, so they end with
    /// it (sign-out, another device, the per-user limit, expiry); an anonymous browser has a session of its own, keyed by
    /// the session cookie. Each request writes only the keys it changed, so concurrent requests changing different keys
    /// all keep their change. <see cref="AspNetCoreSessionOptions.IdleTimeout"/> is not used:
    /// <see cref="SessionOptions.InactiveTimeout"/> decides. Values count towards <see cref="SessionOptions.MaxDataBytes"/>
    /// (as base64).
    /// </summary>
    public static IServiceCollection AddRedisSessionState(this IServiceCollection services, Action<AspNetCoreSessionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        RedisSessionsWebServices.Add(services, configure: null);
        if (configure is null)
        {
            services.AddSession();
        }
        else
        {
            services.AddSession(configure);
        }
        services.Replace(ServiceDescriptor.Singleton<ISessionStore, RedisSessionStateStore>());
        return services;
    }
}
