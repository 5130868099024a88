using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RedisSessions.AspNetCore.Authentication;

/// <summary>Puts a <see cref="RedisTicketStore"/> into <see cref="CookieAuthenticationOptions.SessionStore"/> of one
/// scheme and wraps its cookie manager (<see cref="SessionIdCookieManager"/>). Runs after the application's own
/// configuration of the scheme (post-configure), so <c>AddCookie(o => ...)</c> can come before or after.</summary>
internal sealed class TicketStorePostConfigure : IPostConfigureOptions<CookieAuthenticationOptions>
{
    private readonly string _scheme;
    private readonly IServiceProvider _services;

    public TicketStorePostConfigure(string scheme, IServiceProvider services)
    {
        _scheme = scheme;
        _services = services;
    }

    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (!string.Equals(name, _scheme, StringComparison.Ordinal) || options.SessionStore is RedisTicketStore)
        {
            return;
        }
        options.SessionStore = new RedisTicketStore(
            _scheme,
            _services.GetRequiredService<SessionManager>(),
            _services.GetRequiredService<IDataProtectionProvider>(),
            _services.GetRequiredService<IOptionsMonitor<RedisSessionsAspNetCoreOptions>>(),
            options,
            _services.GetRequiredService<ILogger<RedisTicketStore>>());
        // The cookie handler's own post-configure puts a ChunkingCookieManager there when the app set none; this one
        // may run first when AddRedisSessionStore is called before AddCookie.
        options.CookieManager = new SessionIdCookieManager(options.CookieManager ?? new ChunkingCookieManager(), _scheme, options);
    }
}
