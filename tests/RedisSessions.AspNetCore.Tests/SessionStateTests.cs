using RedisSessions.AspNetCore.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary><c>HttpContext.Session</c> on RedisSessions: writes only what a request changed, lives in the sign-in
/// session while signed in, and ends with it.</summary>
public abstract class SessionStateTests(RedisFixture redis) : WebTestBase(redis)
{
    [Fact]
    public async Task Concurrent_requests_changing_different_keys_both_keep_their_change_when_anonymous()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAppAsync(prefix, s => s.Node = "node-a");
        await using var nodeB = await StartAppAsync(prefix, s => s.Node = "node-b");
        using var onA = new Browser(nodeA);
        using var onB = onA.On(nodeB);
        await onA.SetStateAsync("start", "0"); // the browser has its state session and cookie

        await RaceAsync(onA, onB);

        Assert.Equal("a=1,b=2,start=0", await onA.StateAsync());
    }

    [Fact]
    public async Task Concurrent_requests_changing_different_keys_both_keep_their_change_when_signed_in()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAppAsync(prefix, s => s.Node = "node-a");
        await using var nodeB = await StartAppAsync(prefix, s => s.Node = "node-b");
        using var onA = new Browser(nodeA);
        using var onB = onA.On(nodeB);
        await onA.SignInAsync("alice");
        await onA.SetStateAsync("start", "0");

        await RaceAsync(onA, onB);

        Assert.Equal("a=1,b=2,start=0", await onB.StateAsync());
    }

    /// <summary>Two requests both load the state, then each sets its own key and commits: a whole-state write would
    /// make the second commit drop the first one's key.</summary>
    private static async Task RaceAsync(Browser onA, Browser onB)
    {
        var first = onA.Client.PutAsync("/state-held/first/a/1", null);
        var second = onB.Client.PutAsync("/state-held/second/b/2", null);
        await onA.App.Gates["first"].Reached.WaitAsync(TimeSpan.FromSeconds(20));
        await onB.App.Gates["second"].Reached.WaitAsync(TimeSpan.FromSeconds(20));
        onA.App.Gates["first"].Open();
        (await first).EnsureSuccessStatusCode();
        onB.App.Gates["second"].Open();
        (await second).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_change_is_saved_before_the_response_so_the_next_request_sees_it_on_any_node()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAppAsync(prefix, s => s.Node = "node-a");
        await using var nodeB = await StartAppAsync(prefix, s => s.Node = "node-b");
        using var onA = new Browser(nodeA);
        using var onB = onA.On(nodeB);
        await onA.SignInAsync("alice");

        // The browser has the response while the request that sent it has not finished (it waits at the gate).
        using var request = new HttpRequestMessage(HttpMethod.Put, "/state-then-hold/held/step/2");
        using var response = await onA.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await nodeA.Gates["held"].Reached.WaitAsync(TimeSpan.FromSeconds(20));
        try
        {
            Assert.Equal("step=2", await onB.StateAsync());
        }
        finally
        {
            nodeA.Gates["held"].Open();
        }
    }

    [Fact]
    public async Task Removed_keys_are_removed_and_other_keys_stay()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        await browser.SignInAsync("alice");
        await browser.SetStateAsync("a", "1");
        await browser.SetStateAsync("b", "2");

        await browser.RemoveStateAsync("a");

        Assert.Equal("b=2", await browser.StateAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_request_that_removes_a_key_and_sets_another_saves_both_changes(bool signedIn)
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAppAsync(prefix, s => s.Node = "node-a");
        await using var nodeB = await StartAppAsync(prefix, s => s.Node = "node-b");
        using var browser = new Browser(nodeA);
        using var onB = browser.On(nodeB);
        if (signedIn)
        {
            await browser.SignInAsync("alice");
        }
        await browser.SetStateAsync("draft", "v1");
        await browser.SetStateAsync("other", "kept");

        await browser.MoveStateAsync("draft", "published");

        Assert.Equal("other=kept,published=v1", await browser.StateAsync());
        Assert.Equal("other=kept,published=v1", await onB.StateAsync());
    }

    [Fact]
    public async Task Signed_in_state_lives_in_the_sign_in_session_and_ends_with_it()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");

        await browser.SetStateAsync("cart", "3");

        var session = await app.Sessions.PeekSessionAsync(sessionId);
        Assert.NotNull(session);
        Assert.Equal(Convert.ToBase64String("3"u8.ToArray()), session.GetData(WebSessionDataKeys.StatePrefix + "cart"));
        await browser.SignOutAsync();
        Assert.Equal("", await browser.StateAsync());

        // Ended elsewhere (another device): the state goes with the session.
        var again = await browser.SignInAsync("alice");
        await browser.SetStateAsync("cart", "4");
        await app.Sessions.TerminateSessionAsync(again);
        Assert.Equal("", await browser.StateAsync());
    }

    [Fact]
    public async Task State_from_before_sign_in_moves_into_the_new_session_and_its_old_session_ends()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var browser = new Browser(app);
        await browser.SetStateAsync("cart", "3");

        var sessionId = await browser.SignInAsync("alice");

        Assert.Equal("cart=3", await browser.StateAsync());
        Assert.NotNull((await app.Sessions.PeekSessionAsync(sessionId))!.GetData(WebSessionDataKeys.StatePrefix + "cart"));
        // Signing out leaves nothing behind: neither the signed-in state nor the one from before.
        await browser.SignOutAsync();
        Assert.Equal("", await browser.StateAsync());
    }

    [Fact]
    public async Task State_from_before_sign_in_is_dropped_when_carrying_is_off()
    {
        await using var app = await StartAppAsync(NewPrefix(), s => s.Web = o => o.CarrySessionStateOnSignIn = false);
        using var browser = new Browser(app);
        await browser.SetStateAsync("cart", "3");

        await browser.SignInAsync("alice");

        Assert.Equal("", await browser.StateAsync());
        await browser.SignOutAsync();
        Assert.Equal("", await browser.StateAsync());
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneSessionStateTests(StandaloneRedisFixture redis) : SessionStateTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterSessionStateTests(ClusterRedisFixture redis) : SessionStateTests(redis);
