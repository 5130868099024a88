using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace RedisSessions.AspNetCore.Tests.Infrastructure;

/// <summary>What a test app answers on <c>/me</c>: who the request is signed in as, and what the store found.</summary>
public sealed record WhoAmI(string? User, string? SessionId, string? EndedSessionId, string? Reason, bool StoreUnavailable);

/// <summary>How a test app is set up: RedisSessions settings, the integration's settings, and more services.</summary>
public sealed class TestAppSettings
{
    public string Node { get; set; } = "node-a";

    public Action<SessionOptions>? Sessions { get; set; }

    public Action<RedisSessionsAspNetCoreOptions>? Web { get; set; }

    public Action<IServiceCollection>? Services { get; set; }

    /// <summary>Data Protection keys in Redis under the test's prefix, shared by the test's apps (a farm); false leaves
    /// Data Protection at its defaults (keys on this machine).</summary>
    public bool SharedKeys { get; set; } = true;

    /// <summary>The Data Protection application name (apps with different names can't read each other's cookies).</summary>
    public string ApplicationName { get; set; } = "redis-sessions-tests";
}

/// <summary>
/// An ASP.NET Core app in process (TestServer) wired the way an application uses the package: cookie authentication
/// with <c>AddRedisSessionStore</c>, <c>AddRedisSessionState</c>, the devices endpoints and the health check, on the
/// test's Redis under the test's key prefix. Several apps with the same prefix are the nodes of one farm.
/// </summary>
public sealed class TestWebApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestWebApp(WebApplication app, LogCollector logs, Gates gates)
    {
        _app = app;
        Logs = logs;
        Gates = gates;
    }

    public LogCollector Logs { get; }

    public Gates Gates { get; }

    public TestServer Server => _app.GetTestServer();

    public IServiceProvider Services => _app.Services;

    /// <summary>The app's own manager (the one its store uses).</summary>
    public SessionManager Sessions => _app.Services.GetRequiredService<SessionManager>();

    /// <summary>The cookie scheme's options after configuration (its session store, ticket format, cookie name).</summary>
    public CookieAuthenticationOptions CookieOptions =>
        _app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);

    public static async Task<TestWebApp> StartAsync(IConnectionMultiplexer redis, string prefix, Action<TestAppSettings>? configure = null)
    {
        var app = Build(redis, prefix, configure, out var logs, out var gates);
        await app.StartAsync();
        return new TestWebApp(app, logs, gates);
    }

    /// <summary>Builds without starting (to test what start-up says).</summary>
    public static WebApplication Build(IConnectionMultiplexer redis, string prefix, Action<TestAppSettings>? configure, out LogCollector logs, out Gates gates)
    {
        var settings = new TestAppSettings();
        configure?.Invoke(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        logs = new LogCollector();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        gates = new Gates();
        builder.Services.AddSingleton(gates);

        builder.Services.AddSingleton(redis);
        builder.Services.AddRedisSessions(o =>
        {
            o.KeyPrefix = prefix;
            o.NodeName = settings.Node;
            o.EnableAutoCleanup = false;
            settings.Sessions?.Invoke(o);
        });
        var dataProtection = builder.Services.AddDataProtection();
        if (settings.SharedKeys)
        {
            dataProtection.SetApplicationName(settings.ApplicationName);
            builder.Services.Configure<KeyManagementOptions>(o => o.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), $"{prefix}-dp-keys"));
        }
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o => o.LoginPath = "/login")
            .AddRedisSessionStore(settings.Web);
        builder.Services.AddAuthorization();
        builder.Services.AddRedisSessionState();
        builder.Services.AddHealthChecks().AddRedisSessions();
        settings.Services?.Invoke(builder.Services);

        var app = builder.Build();
        // What an application does with Redis unreachable mid-request: a 503, not a 500.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (SessionStoreUnavailableException) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseSession();
        MapEndpoints(app);
        return app;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapPost("/signin/{user}", async (string user, string? profile, HttpContext context) =>
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], "test");
            if (profile is not null)
            {
                identity.AddClaim(new Claim("profile", profile));
            }
            try
            {
                await context.SignInAsync(new ClaimsPrincipal(identity));
            }
            catch (SessionLimitExceededException e)
            {
                return Results.Text(e.Message, statusCode: StatusCodes.Status409Conflict);
            }
            catch (SessionStoreUnavailableException)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }
            return Results.Text(context.Features.Get<RedisSessionsFeature>()?.Session?.SessionId ?? "");
        });
        app.MapPost("/signout", async (HttpContext context) =>
        {
            await context.SignOutAsync();
            return Results.Text("signed out");
        });
        app.MapGet("/me", (HttpContext context) =>
        {
            var feature = context.Features.Get<RedisSessionsFeature>();
            return Results.Json(new WhoAmI(
                context.User.Identity?.IsAuthenticated == true ? context.User.Identity.Name : null,
                feature?.Session?.SessionId,
                feature?.EndedSession?.SessionId,
                feature?.EndedSession?.Reason?.ToString(),
                feature?.StoreUnavailable ?? false));
        });
        app.MapGet("/protected", () => "secret").RequireAuthorization();
        app.MapGet("/login", () => "sign in here");

        app.MapGet("/state", async (HttpContext context) =>
        {
            await context.Session.LoadAsync();
            return string.Join(",", context.Session.Keys.Order(StringComparer.Ordinal).Select(k => $"{k}={context.Session.GetString(k)}"));
        });
        app.MapPut("/state/{key}/{value}", async (string key, string value, HttpContext context) =>
        {
            await context.Session.LoadAsync();
            context.Session.SetString(key, value);
            await context.Session.CommitAsync(); // an app that answers a failed write itself (503)
            return "ok";
        });
        // No explicit commit: the store commits before the response starts.
        app.MapPut("/state-auto/{key}/{value}", (string key, string value, HttpContext context) =>
        {
            context.Session.SetString(key, value);
            return "ok";
        });
        app.MapDelete("/state/{key}", async (string key, HttpContext context) =>
        {
            await context.Session.LoadAsync();
            context.Session.Remove(key);
            return "ok";
        });
        // Renames a key: one request that removes a key and sets another.
        app.MapPost("/state/{from}/move-to/{to}", async (string from, string to, HttpContext context) =>
        {
            await context.Session.LoadAsync();
            var value = context.Session.GetString(from) ?? "";
            context.Session.Remove(from);
            context.Session.SetString(to, value);
            return "ok";
        });
        // Loads the state, sets a key, then waits at a gate: the commit comes after the test opens it.
        app.MapPut("/state-held/{gate}/{key}/{value}", async (string gate, string key, string value, HttpContext context, Gates gates) =>
        {
            await context.Session.LoadAsync();
            context.Session.SetString(key, value);
            await gates[gate].PassAsync();
            return "ok";
        });
        // Sets a key, sends the response, then waits at a gate before the request ends.
        app.MapPut("/state-then-hold/{gate}/{key}/{value}", async (string gate, string key, string value, HttpContext context, Gates gates) =>
        {
            await context.Session.LoadAsync();
            context.Session.SetString(key, value);
            await context.Response.WriteAsync("ok");
            await context.Response.Body.FlushAsync();
            await gates[gate].PassAsync();
        });
        app.MapDeviceSessions("/api/devices");
        app.MapHealthChecks("/healthz");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
