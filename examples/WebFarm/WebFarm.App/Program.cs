// The web farm sample: a sign-in page, a home page and a "your devices" page on RedisSessions.AspNetCore. Several
// nodes run behind a load balancer and share everything through Redis: the sign-ins (the cookie holds only a session
// id), HttpContext.Session and the Data Protection keys. It never starts a Redis of its own: set
// RedisSessions__Configuration. Terminations are handled by the farm's worker (src/RedisSessions.Worker), not here.
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.AspNetCore;
using StackExchange.Redis;
using WebFarm.App;
using SessionOptions = RedisSessions.SessionOptions;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json sits beside the program, wherever it is started from (unless the command line names a content
    // root, as the tests' WebApplicationFactory does).
    ContentRootPath = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase)) ? null : AppContext.BaseDirectory,
});

builder.Services.AddOptions<FarmOptions>().BindConfiguration(FarmOptions.SectionName).PostConfigure(o =>
{
    if (string.IsNullOrWhiteSpace(o.NodeName))
    {
        o.NodeName = FarmOptions.DefaultNodeName;
    }
});
// One connection for the whole application, the usual pattern: RedisSessions uses a registered multiplexer when there
// is one, and so do the Data Protection keys below. (Without one, AddRedisSessions would open a private connection.)
builder.Services.AddSingleton<IConnectionMultiplexer>(provider =>
{
    var options = ConfigurationOptions.Parse(provider.GetRequiredService<IOptions<SessionOptions>>().Value.Configuration
        ?? throw new InvalidOperationException($"{SessionOptions.SectionName}:{nameof(SessionOptions.Configuration)} is not set."));
    options.AbortOnConnectFail = false; // a Redis that is down at start-up makes requests fail closed, not the start
    return ConnectionMultiplexer.Connect(options);
});
builder.Services.AddRedisSessions();
// The node name recorded in sessions is the farm's, unless RedisSessions:NodeName says otherwise.
builder.Services.AddOptions<SessionOptions>().Configure<IConfiguration, IOptions<FarmOptions>>((sessions, configuration, farm) =>
{
    if (string.IsNullOrWhiteSpace(configuration[$"{SessionOptions.SectionName}:{nameof(SessionOptions.NodeName)}"]))
    {
        sessions.NodeName = farm.Value.NodeName;
    }
});

// Every node must read every other node's cookies: one application name, the keys in Redis.
builder.Services.AddDataProtection().SetApplicationName(FarmOptions.ApplicationName);
builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((keys, redis) =>
    keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), FarmOptions.DataProtectionKey));

builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(cookie =>
    {
        cookie.LoginPath = "/";
        cookie.LogoutPath = "/logout";
        cookie.Cookie.Name = "WebFarm.Auth";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Lax;
    })
    .AddRedisSessionStore();
builder.Services.AddAuthorization();
builder.Services.AddRedisSessionState(session => session.Cookie.Name = "WebFarm.State");
builder.Services.AddAntiforgery(antiforgery => antiforgery.Cookie.Name = "WebFarm.Antiforgery");
builder.Services.AddHealthChecks().AddRedisSessions();

var app = builder.Build();

if (string.IsNullOrWhiteSpace(app.Configuration[$"{SessionOptions.SectionName}:{nameof(SessionOptions.Configuration)}"]))
{
    app.Logger.LogCritical(
        "RedisSessions:Configuration is not set: WebFarm.App needs a Redis and never starts one of its own. " +
        "Set the environment variable RedisSessions__Configuration (e.g. 127.0.0.1:6380, or the nodes of a cluster separated by commas) " +
        "or RedisSessions:Configuration in appsettings.json.");
    // The console logger writes from a queue of its own: disposing the app flushes it, or the line can be lost when
    // the process exits at once.
    await app.DisposeAsync();
    return 2;
}

app.UseMiddleware<StoreUnavailablePages>();
app.UseAuthentication();
app.UseAuthorization();
app.UseSession();
app.MapFarmPages();
app.MapDeviceSessions("/api/devices");
app.MapHealthChecks("/healthz");

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the tests (WebApplicationFactory).</summary>
public partial class Program;
