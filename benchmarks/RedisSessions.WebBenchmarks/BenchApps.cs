using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using RedisSessions.AspNetCore;
using StackExchange.Redis;

namespace RedisSessions.WebBenchmarks;

/// <summary>
/// The app of each side, the same on all three: <c>POST /signin?user=</c> signs a user in and puts one value
/// (<c>theme</c>) into the signed-in state; <c>GET /</c> answers 401 unless signed in, else reads that one value and
/// answers <c>Signed in as {user} ({theme})</c>. Logging is off below warnings; Data Protection keys are in memory (one
/// node). RedisSessions runs with its defaults (30 min idle timeout, activity written at most every 18 s) but without
/// its background sweep, which is per node and not per request.
/// </summary>
internal static class BenchApps
{
    public const string Value = "theme";

    public static WebApplication Build(WebSide side, int port, string redis)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Error);
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        var authentication = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddAuthorization();
        switch (side)
        {
            case WebSide.RedisSessions or WebSide.RedisSessionsData:
                builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
                builder.Services.AddRedisSessions(o =>
                {
                    o.KeyPrefix = side == WebSide.RedisSessions ? "bench" : "bench-data";
                    o.EnableAutoCleanup = false;
                    o.MaxSessionsPerUser = 5;
                });
                authentication.AddRedisSessionStore();
                if (side == WebSide.RedisSessions)
                {
                    builder.Services.AddRedisSessionState();
                }
                break;
            case WebSide.AspNetCoreSession:
                builder.Services.AddStackExchangeRedisCache(o =>
                {
                    o.Configuration = redis;
                    o.InstanceName = "bench-session:";
                });
                builder.Services.AddSession(o => o.IdleTimeout = TimeSpan.FromMinutes(30));
                break;
        }

        var app = builder.Build();
        app.UseAuthentication();
        if (side is WebSide.RedisSessions or WebSide.AspNetCoreSession)
        {
            app.UseSession();
        }
        app.MapPost("/signin", async (HttpContext context, string user) =>
        {
            var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user), new(ClaimTypes.Name, user) };
            if (side == WebSide.PlainCookie)
            {
                claims.Add(new Claim(Value, "dark"));
            }
            await context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme)));
            if (side is WebSide.RedisSessions or WebSide.AspNetCoreSession)
            {
                await context.Session.LoadAsync();
                context.Session.SetString(Value, "dark");
                await context.Session.CommitAsync();
            }
            else if (side == WebSide.RedisSessionsData)
            {
                await context.Features.Get<RedisSessionsFeature>()!.Session!.SetDataAsync(Value, "dark");
            }
            return Results.Text("signed in");
        });
        app.MapGet("/", async (HttpContext context) =>
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }
            string? value;
            if (side == WebSide.PlainCookie)
            {
                value = context.User.FindFirst(Value)?.Value;
            }
            else if (side == WebSide.RedisSessionsData)
            {
                value = context.Features.Get<RedisSessionsFeature>()?.Session?.GetData(Value);
            }
            else
            {
                await context.Session.LoadAsync();
                value = context.Session.GetString(Value);
            }
            return Results.Text($"Signed in as {context.User.Identity.Name} ({value})");
        });
        app.MapGet("/healthz", () => "ok");
        return app;
    }
}
