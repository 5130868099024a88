using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.AspNetCore;

namespace WebFarm.App;

/// <summary>The sample's pages (minimal APIs rendering <see cref="Html"/>): <c>/</c>, <c>POST /login</c>,
/// <c>/logout</c>, <c>/account/sessions</c> and its two POST actions. POST forms carry an antiforgery token.</summary>
internal static partial class FarmPages
{
    /// <summary>The sample's only password: any user name signs in with it.</summary>
    public const string DemoPassword = "demo";

    public static void MapFarmPages(this WebApplication app)
    {
        app.MapGet("/", HomeAsync);
        app.MapPost("/login", SignInAsync);
        app.MapGet("/logout", (Func<HttpContext, Task<IResult>>)SignOutAsync);
        app.MapPost("/logout", (Func<HttpContext, Task<IResult>>)SignOutAsync);
        app.MapGet("/account/sessions", DevicesAsync);
        app.MapPost("/account/sessions/sign-out-others", SignOutOthersAsync);
        app.MapPost("/account/sessions/{sessionId}/sign-out", SignOutSessionAsync);
    }

    private static string Node(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<FarmOptions>>().Value.NodeName;

    private static IAntiforgery Antiforgery(HttpContext context) => context.RequestServices.GetRequiredService<IAntiforgery>();

    private static RedisSessionsFeature? Feature(HttpContext context) => context.Features.Get<RedisSessionsFeature>();

    private static bool SignedIn(HttpContext context) => context.User.Identity?.IsAuthenticated == true && Feature(context)?.Session is not null;

    private static IResult Page(HttpContext context, string title, string body, int status = StatusCodes.Status200OK) =>
        Results.Content(Html.Page(title, Node(context), body), "text/html; charset=utf-8", statusCode: status);

    private static async Task<IResult> HomeAsync(HttpContext context, string? returnUrl)
    {
        var tokens = Antiforgery(context).GetAndStoreTokens(context);
        if (!SignedIn(context))
        {
            var feature = Feature(context);
            return SignInPage(context, tokens, returnUrl, error: null, username: null,
                feature?.StoreUnavailable == true ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        }
        await context.Session.LoadAsync(context.RequestAborted);
        var views = (context.Session.GetInt32("views") ?? 0) + 1;
        context.Session.SetInt32("views", views);
        await context.Session.CommitAsync(context.RequestAborted); // a failed write becomes the 503 page, not a lost count
        return Page(context, "Home", Html.Home(tokens, context.User.Identity!.Name!, views));
    }

    private static IResult SignInPage(HttpContext context, AntiforgeryTokenSet tokens, string? returnUrl, string? error, string? username, int status)
    {
        var feature = Feature(context);
        return Page(context, "Sign in",
            Html.SignInForm(tokens, returnUrl, feature?.EndedSession, error, feature?.StoreUnavailable == true, username), status);
    }

    private static async Task<IResult> SignInAsync(HttpContext context, ILoggerFactory loggers)
    {
        if (await RejectForgeryAsync(context) is { } rejected)
        {
            return rejected;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var username = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var returnUrl = form["returnUrl"].ToString();
        var tokens = Antiforgery(context).GetAndStoreTokens(context);
        if (username.Length is 0 or > 64 || password != DemoPassword)
        {
            return SignInPage(context, tokens, returnUrl, "Unknown user name or wrong password (the password is \"demo\").", username, StatusCodes.Status401Unauthorized);
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, username), new Claim(ClaimTypes.Name, username)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        try
        {
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        }
        catch (SessionLimitExceededException ex)
        {
            // LimitPolicy RejectNew: the sign-in is refused, nothing was written.
            Log.SignInRefused(loggers.CreateLogger("WebFarm.App"), username, ex.ActiveSessions);
            return SignInPage(context, tokens, returnUrl,
                $"You already have {ex.ActiveSessions} active sessions, the most allowed. Sign out on another device first.", username, StatusCodes.Status409Conflict);
        }
        return Results.Redirect(IsLocal(returnUrl) ? returnUrl : "/");
    }

    private static async Task<IResult> SignOutAsync(HttpContext context)
    {
        if (HttpMethods.IsPost(context.Request.Method) && await RejectForgeryAsync(context) is { } rejected)
        {
            return rejected;
        }
        if (context.User.Identity?.IsAuthenticated == true)
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        return Results.Redirect("/");
    }

    private static async Task<IResult> DevicesAsync(HttpContext context, DeviceSessionService devices, int? endedOthers)
    {
        if (!SignedIn(context))
        {
            return Results.Redirect("/?returnUrl=%2Faccount%2Fsessions");
        }
        var tokens = Antiforgery(context).GetAndStoreTokens(context);
        var list = await devices.GetDevicesAsync(context, context.RequestAborted);
        return Page(context, "Your devices", Html.Devices(tokens, context.User.Identity!.Name!, list, endedOthers));
    }

    private static async Task<IResult> SignOutOthersAsync(HttpContext context, DeviceSessionService devices)
    {
        if (!SignedIn(context))
        {
            return Results.Redirect("/");
        }
        if (await RejectForgeryAsync(context) is { } rejected)
        {
            return rejected;
        }
        var ended = await devices.EndOtherDevicesAsync(context, context.RequestAborted);
        return Results.Redirect($"/account/sessions?endedOthers={ended}");
    }

    private static async Task<IResult> SignOutSessionAsync(HttpContext context, string sessionId, DeviceSessionService devices)
    {
        if (!SignedIn(context))
        {
            return Results.Redirect("/");
        }
        if (await RejectForgeryAsync(context) is { } rejected)
        {
            return rejected;
        }
        if (string.Equals(sessionId, Feature(context)!.Session!.SessionId, StringComparison.Ordinal))
        {
            // This browser's own row: an ordinary sign-out.
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/");
        }
        // Only ever one of this user's own sessions: any other id is simply not found.
        return await devices.EndDeviceAsync(context, sessionId, context.RequestAborted)
            ? Results.Redirect("/account/sessions")
            : Page(context, "Not found", Html.Message("No such session", "That session is not one of yours, or it has already ended."), StatusCodes.Status404NotFound);
    }

    private static async Task<IResult?> RejectForgeryAsync(HttpContext context)
    {
        try
        {
            await Antiforgery(context).ValidateRequestAsync(context);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Page(context, "Expired form", Html.Message("This form has expired", "Please go back, reload the page and try again."), StatusCodes.Status400BadRequest);
        }
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Warning, "Sign-in of {User} refused: {ActiveSessions} active sessions (LimitPolicy RejectNew)", EventName = "SignInRefused")]
        public static partial void SignInRefused(ILogger logger, string user, int activeSessions);
    }
}
