using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using RedisSessions.AspNetCore.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary>Cookie authentication with its tickets in RedisSessions: what the cookie holds, new ids, the per-user
/// limit, sign-out and renewal.</summary>
public abstract class SignInTests(RedisFixture redis) : WebTestBase(redis)
{
    [Fact]
    public async Task Sign_in_keeps_only_the_session_id_in_the_cookie()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app, userAgent: "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0");
        var profile = new string('p', 3000); // a large claim: it must live in Redis, not in the cookie

        var sessionId = await browser.SignInAsync("alice", profile);

        var cookie = browser.AuthCookie;
        Assert.NotNull(cookie);
        Assert.True(cookie.Length < 600, $"the cookie should hold an id, not the ticket ({cookie.Length} chars)");
        var cookieTicket = app.CookieOptions.TicketDataFormat.Unprotect(cookie);
        Assert.NotNull(cookieTicket);
        var claim = Assert.Single(cookieTicket.Principal.Claims);
        Assert.Equal(sessionId, claim.Value);

        // The ticket is in the session, protected; the user agent is recorded for the devices page.
        var session = await app.Sessions.PeekSessionAsync(sessionId);
        Assert.NotNull(session);
        Assert.Equal("alice", session.UserId);
        Assert.Equal("node-a", session.Node);
        Assert.Equal(browser.UserAgent, session.GetData(WebSessionDataKeys.UserAgent));
        var stored = session.GetData(WebSessionDataKeys.Ticket);
        Assert.NotNull(stored);
        Assert.DoesNotContain("ppppppppp", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", stored, StringComparison.Ordinal);
        Assert.Null(session.GetData(WebSessionDataKeys.RemoteIpAddress)); // off by default

        // And the request after it is signed in with the whole principal.
        var me = await browser.MeAsync();
        Assert.Equal("alice", me.User);
        Assert.Equal(sessionId, me.SessionId);
        Assert.Equal(HttpStatusCode.OK, await browser.GetStatusAsync("/protected"));
    }

    [Fact]
    public async Task A_farm_of_nodes_shares_the_sign_in()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAppAsync(prefix, s => s.Node = "node-a");
        await using var nodeB = await StartAppAsync(prefix, s => s.Node = "node-b");
        using var onA = new Browser(nodeA);
        using var onB = onA.On(nodeB);

        var sessionId = await onA.SignInAsync("alice");

        Assert.Equal("alice", (await onB.MeAsync()).User);
        await onB.SignOutAsync();
        var me = await onA.MeAsync();
        Assert.Null(me.User);
        Assert.Null(await nodeA.Sessions.PeekSessionAsync(sessionId));
    }

    [Fact]
    public async Task Every_sign_in_gets_a_new_session_id_even_on_a_browser_that_is_signed_in()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);

        var first = await browser.SignInAsync("alice");
        Assert.Equal("alice", (await browser.MeAsync()).User);
        // Signed in now: the cookie handler hands this sign-in to RenewAsync with the old key.
        var second = await browser.SignInAsync("alice");
        Assert.NotEqual(first, second);
        var me = await browser.MeAsync();
        Assert.Equal("alice", me.User);
        Assert.Equal(second, me.SessionId);
        Assert.Null(await app.Sessions.PeekSessionAsync(first));
        Assert.Equal(TerminationReason.Terminated, await app.Sessions.FindTerminationReasonAsync(first));

        // Another user on the same browser: a new session of that user; the old one ends.
        var third = await browser.SignInAsync("bob");
        Assert.NotEqual(second, third);
        me = await browser.MeAsync();
        Assert.Equal("bob", me.User);
        Assert.Equal(third, me.SessionId);
        Assert.Null(await app.Sessions.PeekSessionAsync(second));
        Assert.Empty(await app.Sessions.GetUserSessionsAsync("alice"));
        Assert.Equal([third], (await app.Sessions.GetUserSessionsAsync("bob")).Select(s => s.SessionId));

        // After a sign-out too.
        await browser.SignOutAsync();
        var fourth = await browser.SignInAsync("bob");
        Assert.NotEqual(third, fourth);
        Assert.Equal(fourth, (await browser.MeAsync()).SessionId);
    }

    [Fact]
    public async Task The_per_user_limit_evicts_the_oldest_device_which_is_signed_out_with_reason_evicted()
    {
        await using var app = await StartAppAsync(NewPrefix(), s => s.Sessions = o => o.MaxSessionsPerUser = 2);
        using var laptop = new Browser(app, "Laptop/1.0");
        using var phone = new Browser(app, "Phone/1.0");
        using var tablet = new Browser(app, "Tablet/1.0");

        var laptopSession = await laptop.SignInAsync("alice");
        await phone.SignInAsync("alice");
        await tablet.SignInAsync("alice");

        var me = await laptop.MeAsync();
        Assert.Null(me.User);
        Assert.Null(me.SessionId);
        Assert.Equal(laptopSession, me.EndedSessionId);
        Assert.Equal(nameof(TerminationReason.Evicted), me.Reason);
        Assert.Equal(HttpStatusCode.Redirect, await laptop.GetStatusAsync("/protected"));
        // The reason stays available while Redis remembers it, so the page after a redirect can still say why.
        Assert.Equal(nameof(TerminationReason.Evicted), (await laptop.MeAsync()).Reason);
        Assert.Equal("alice", (await phone.MeAsync()).User);
        Assert.Equal("alice", (await tablet.MeAsync()).User);
    }

    [Fact]
    public async Task Reject_new_refuses_the_sign_in_with_the_limit_exception_and_keeps_the_others()
    {
        await using var app = await StartAppAsync(NewPrefix(), s => s.Sessions = o =>
        {
            o.MaxSessionsPerUser = 1;
            o.LimitPolicy = SessionLimitPolicy.RejectNew;
        });
        using var laptop = new Browser(app);
        using var phone = new Browser(app);
        var laptopSession = await laptop.SignInAsync("alice");

        using var refused = await phone.TrySignInAsync("alice");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode); // the app caught SessionLimitExceededException
        Assert.Contains("MaxSessionsPerUser is 1", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(phone.AuthCookie);
        Assert.Null((await phone.MeAsync()).User);
        Assert.Equal(laptopSession, (await laptop.MeAsync()).SessionId);
        Assert.True(app.Logs.Has("SignInRefused"));
        // Signing in again on the browser that holds the one session is not a second session: it replaces it.
        var again = await laptop.SignInAsync("alice");
        Assert.NotEqual(laptopSession, again);
    }

    [Fact]
    public async Task Sign_out_ends_the_session_and_the_cookie()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");

        await browser.SignOutAsync();

        Assert.Null(browser.AuthCookie);
        Assert.Null(await app.Sessions.PeekSessionAsync(sessionId));
        Assert.Empty(await app.Sessions.GetUserSessionsAsync("alice"));
    }

    [Fact]
    public async Task A_renewal_after_the_session_was_removed_never_brings_it_back()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");
        var store = app.CookieOptions.SessionStore!;
        var context = new DefaultHttpContext { RequestServices = app.Services };
        // What the cookie handler renews on a sliding refresh: the ticket the store handed out, with new times.
        var ticket = await store.RetrieveAsync(sessionId, context, CancellationToken.None);
        Assert.NotNull(ticket);
        ticket.Properties.IssuedUtc = DateTimeOffset.UtcNow;
        ticket.Properties.ExpiresUtc = DateTimeOffset.UtcNow.AddDays(14);

        await store.RemoveAsync(sessionId, context, CancellationToken.None);
        await store.RenewAsync(sessionId, ticket, context, CancellationToken.None);
        await store.RenewAsync(sessionId, ticket, CancellationToken.None);

        Assert.Null(await store.RetrieveAsync(sessionId, new DefaultHttpContext { RequestServices = app.Services }, CancellationToken.None));
        Assert.Null(await app.Sessions.PeekSessionAsync(sessionId));
        Assert.Empty(await app.Sessions.GetUserSessionsAsync("alice"));
        Assert.Null((await browser.MeAsync()).User);
    }

    [Fact]
    public async Task A_renewal_of_a_live_session_keeps_its_id_and_stores_the_new_ticket()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");
        var store = app.CookieOptions.SessionStore!;
        var context = new DefaultHttpContext { RequestServices = app.Services };
        var ticket = await store.RetrieveAsync(sessionId, context, CancellationToken.None);
        Assert.NotNull(ticket);
        var expires = DateTimeOffset.UtcNow.AddDays(3);
        ticket.Properties.ExpiresUtc = expires;

        await store.RenewAsync(sessionId, ticket, context, CancellationToken.None);

        var renewed = await store.RetrieveAsync(sessionId, new DefaultHttpContext { RequestServices = app.Services }, CancellationToken.None);
        Assert.NotNull(renewed);
        Assert.Equal(expires.ToUnixTimeSeconds(), renewed.Properties.ExpiresUtc!.Value.ToUnixTimeSeconds());
        Assert.Equal([sessionId], (await app.Sessions.GetUserSessionsAsync("alice")).Select(s => s.SessionId));
    }

    [Fact]
    public async Task Tampered_or_foreign_cookies_are_anonymous_requests_not_errors()
    {
        var prefix = NewPrefix();
        await using var app = await StartAppAsync(prefix);
        await using var otherApp = await StartAppAsync(NewPrefix() + "-other", s => s.ApplicationName = "another-application");
        var format = app.CookieOptions.TicketDataFormat;
        string CookieFor(string sessionId) => format.Protect(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim("Microsoft.AspNetCore.Authentication.Cookies-SessionId", sessionId)], "Cookies")),
            CookieAuthenticationDefaults.AuthenticationScheme));
        var notOurs = await app.Sessions.CreateSessionAsync("alice"); // a live session, but not a sign-in
        using var otherBrowser = new Browser(otherApp);
        await otherBrowser.SignInAsync("alice");
        using var signedIn = new Browser(app);
        var real = await signedIn.SignInAsync("alice");

        var cookies = new Dictionary<string, string>
        {
            ["garbage"] = "this-is-not-a-ticket",
            ["truncated"] = signedIn.AuthCookie![..(signedIn.AuthCookie!.Length / 2)],
            ["flipped"] = Flip(signedIn.AuthCookie!),
            ["malformed id"] = CookieFor("../../etc/passwd"),
            ["unknown id"] = CookieFor(real[..^4] + "AAAA"),
            ["session without ticket"] = CookieFor(notOurs.SessionId),
            ["another application"] = otherBrowser.AuthCookie!,
        };
        foreach (var (name, value) in cookies)
        {
            using var browser = new Browser(app);
            browser.SetAuthCookie(value);
            var me = await browser.MeAsync();
            Assert.True(me.User is null, $"{name}: signed in as {me.User}");
            Assert.True(await browser.GetStatusAsync("/protected") == HttpStatusCode.Redirect, $"{name}: not redirected to sign-in");
            Assert.True(await browser.GetStatusAsync("/state") == HttpStatusCode.OK, $"{name}: session state failed");
        }
        Assert.DoesNotContain(app.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
        // The session that was not a sign-in is untouched.
        Assert.NotNull(await app.Sessions.PeekSessionAsync(notOurs.SessionId));
        Assert.Equal("alice", (await signedIn.MeAsync()).User);
    }

    private static string Flip(string value)
    {
        var chars = value.ToCharArray();
        var i = chars.Length / 2;
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    [Fact]
    public async Task Inactivity_signs_the_browser_out_with_reason_expired()
    {
        await using var app = await StartAppAsync(NewPrefix(), s => s.Sessions = o => o.InactiveTimeout = TimeSpan.FromSeconds(2));
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");
        Assert.Equal("alice", (await browser.MeAsync()).User);

        // No request meanwhile (peeking does not count as activity): wait until the session's time is up.
        await Eventually.TrueAsync(async () => await app.Sessions.PeekSessionAsync(sessionId) is null, "the session expired", TimeSpan.FromSeconds(15));

        var me = await browser.MeAsync();
        Assert.Null(me.User);
        Assert.Equal(sessionId, me.EndedSessionId);
        Assert.Equal(nameof(TerminationReason.Expired), me.Reason);
        Assert.Equal(HttpStatusCode.Redirect, await browser.GetStatusAsync("/protected"));
    }

    [Fact]
    public async Task Requests_keep_the_session_alive_past_its_inactive_timeout()
    {
        var timeout = TimeSpan.FromSeconds(3);
        await using var app = await StartAppAsync(NewPrefix(), s => s.Sessions = o => o.InactiveTimeout = timeout);
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");
        var started = DateTimeOffset.UtcNow;

        // A request every 300 ms for twice the timeout: each one loads the session for use, so it slides.
        while (DateTimeOffset.UtcNow - started < timeout * 2)
        {
            Assert.Equal("alice", (await browser.MeAsync()).User);
            await Task.Delay(300);
        }
        Assert.Equal(sessionId, (await browser.MeAsync()).SessionId);
    }

    [Fact]
    public async Task A_session_ended_by_an_operator_signs_the_browser_out_with_that_reason()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");

        // What the operator CLI does, from another process with the same settings.
        await using var operatorManager = new SessionManager(Redis.Connection, new SessionOptions { KeyPrefix = app.Sessions.Options.KeyPrefix, EnableAutoCleanup = false });
        Assert.True(await operatorManager.TerminateSessionAsync(sessionId, TerminationReason.Admin));

        var me = await browser.MeAsync();
        Assert.Null(me.User);
        Assert.Equal(nameof(TerminationReason.Admin), me.Reason);
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneSignInTests(StandaloneRedisFixture redis) : SignInTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterSignInTests(ClusterRedisFixture redis) : SignInTests(redis);
