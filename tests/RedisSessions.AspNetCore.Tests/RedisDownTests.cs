using System.Net;
using RedisSessions.AspNetCore.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary>Redis going away under a running app, on a server of the test's own (a local redis-server process it can
/// stop and start again on the same port; a restarted container would get another port).</summary>
public sealed class RedisDownTests
{
    [Fact]
    public async Task Redis_down_signs_nobody_in_fails_health_and_sign_in_and_the_browser_is_back_when_redis_is()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var options = ConfigurationOptions.Parse(server.Endpoint);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1000;
        options.SyncTimeout = 1000;
        options.AsyncTimeout = 1000;
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await using var app = await TestWebApp.StartAsync(connection, "down");
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");
        await browser.SetStateAsync("cart", "3");
        Assert.Equal(HttpStatusCode.OK, await browser.GetStatusAsync("/healthz"));

        await server.StopAsync();

        // Fail closed: the request is anonymous, never a 500, and the log says why.
        var me = await browser.MeAsync();
        Assert.Null(me.User);
        Assert.True(me.StoreUnavailable);
        Assert.Null(me.EndedSessionId);
        Assert.Equal(HttpStatusCode.Redirect, await browser.GetStatusAsync("/protected"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await browser.GetStatusAsync("/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await browser.GetStatusAsync("/api/devices"));
        using (var refused = await new Browser(app).TrySignInAsync("bob"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }
        var line = app.Logs.Entries.First(e => e.EventId.Name == "AuthenticateUnavailable");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, line.Level);
        Assert.Contains(sessionId, line.Message, StringComparison.Ordinal);
        Assert.Contains("fail closed", line.Message, StringComparison.Ordinal);
        Assert.True(app.Logs.Has("SignInUnavailable"));
        // A session state change can't be saved: the app hears it (503 here), nothing is dropped silently.
        using (var write = await browser.Client.PutAsync("/state/cart/4", null))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
        }
        // Without an explicit commit the write happens as the response starts, so it fails the response (Kestrel
        // answers 500; TestServer hands the server's exception to the client) instead of reporting a success.
        try
        {
            using var write = await browser.Client.PutAsync("/state-auto/cart/5", null);
            Assert.False(write.IsSuccessStatusCode, $"a lost write answered {(int)write.StatusCode}");
        }
        catch (SessionStoreUnavailableException)
        {
        }
        Assert.True(app.Logs.Has("StateCommitUnavailable"));
        // The cookie is kept: nothing says the session ended.
        Assert.NotNull(browser.AuthCookie);

        await server.StartAgainAsync();
        await Eventually.TrueAsync(async () => (await browser.MeAsync()).User == "alice", "the browser is signed in again once Redis is back", TimeSpan.FromSeconds(30));
        Assert.Equal(sessionId, (await browser.MeAsync()).SessionId);
        Assert.Equal("cart=3", await browser.StateAsync());
        Assert.Equal(HttpStatusCode.OK, await browser.GetStatusAsync("/healthz"));
    }
}
