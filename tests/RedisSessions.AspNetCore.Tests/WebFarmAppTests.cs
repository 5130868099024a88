using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.Logging;
using RedisSessions.AspNetCore.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary>The farm sample's page contract (examples/WebFarm/WebFarm.App), which the farm's browser tests rely on:
/// the sign-in form, <c>data-testid</c> attributes, the devices page, sign-out reasons. In process, two nodes sharing
/// the test's Redis.</summary>
[Collection(StandaloneCollection.Name)]
public sealed partial class WebFarmAppTests(StandaloneRedisFixture redis)
{
    private static readonly Uri Origin = new("http://localhost");

    private WebApplicationFactory<Program> Node(string prefix, string name, int maxSessionsPerUser = 5) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("RedisSessions:Configuration", redis.Configuration);
            web.UseSetting("RedisSessions:KeyPrefix", prefix);
            web.UseSetting("RedisSessions:MaxSessionsPerUser", maxSessionsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture));
            web.UseSetting("Farm:NodeName", name);
            web.ConfigureLogging(logging => logging.ClearProviders());
        });

    /// <summary>A browser: one cookie jar, a client per node.</summary>
    private sealed class FarmBrowser(params WebApplicationFactory<Program>[] nodes)
    {
        private readonly CookieContainer _cookies = new();
        private readonly Dictionary<WebApplicationFactory<Program>, HttpClient> _clients = new();

        public HttpClient On(WebApplicationFactory<Program> node)
        {
            if (!_clients.TryGetValue(node, out var client))
            {
                client = node.CreateDefaultClient(Origin, new CookieContainerHandler(_cookies));
                _clients[node] = client;
            }
            return client;
        }

        public HttpClient Client => On(nodes[0]);

        public string? Cookie(string name) => _cookies.GetCookies(Origin)[name]?.Value;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("<tr data-testid=\"session-row\" data-session-id=\"([^\"]+)\" data-current=\"(true|false)\">")]
    private static partial Regex RowPattern();

    private static async Task<string> GetPageAsync(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path}: {(int)response.StatusCode}\n{html}");
        return html;
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string pagePath, string action, Dictionary<string, string>? fields = null)
    {
        var page = await GetPageAsync(client, pagePath);
        var form = new Dictionary<string, string>(fields ?? []) { ["__RequestVerificationToken"] = TokenPattern().Match(page).Groups[1].Value };
        return await client.PostAsync(action, new FormUrlEncodedContent(form));
    }

    private static async Task SignInAsync(HttpClient client, string user, string password = "demo")
    {
        using var response = await PostFormAsync(client, "/", "/login", new() { ["username"] = user, ["password"] = password });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    private static List<(string Id, bool Current)> Rows(string html) =>
        RowPattern().Matches(html).Select(m => (m.Groups[1].Value, m.Groups[2].Value == "true")).ToList();

    [Fact]
    public async Task The_signed_out_home_page_has_the_sign_in_form_and_the_node_name()
    {
        await using var node = Node(TestKeys.NewPrefix('f'), "node-1");
        var browser = new FarmBrowser(node);

        var html = await GetPageAsync(browser.Client, "/");

        Assert.Contains("<input name=\"username\"", html, StringComparison.Ordinal);
        Assert.Contains("<input name=\"password\" type=\"password\"", html, StringComparison.Ordinal);
        Assert.Contains("<button type=\"submit\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"node\">node-1<", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Signed in as", html, StringComparison.Ordinal);
        Assert.DoesNotContain("signed-out-reason", html, StringComparison.Ordinal);
        Assert.Equal("Healthy", await GetPageAsync(browser.Client, "/healthz"));
    }

    [Fact]
    public async Task Signing_in_with_the_demo_password_works_on_every_node_and_a_wrong_one_does_not()
    {
        var prefix = TestKeys.NewPrefix('f');
        await using var node1 = Node(prefix, "node-1");
        await using var node2 = Node(prefix, "node-2");
        var browser = new FarmBrowser(node1, node2);

        using (var refused = await PostFormAsync(browser.Client, "/", "/login", new() { ["username"] = "alice", ["password"] = "wrong" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("data-testid=\"sign-in-error\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Null(browser.Cookie("WebFarm.Auth"));

        await SignInAsync(browser.On(node1), "alice");

        var home = await GetPageAsync(browser.On(node2), "/");
        Assert.Contains("Signed in as alice", home, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"node\">node-2<", home, StringComparison.Ordinal);
        // A form without its antiforgery token is refused.
        using (var forged = await browser.On(node2).PostAsync("/account/sessions/sign-out-others", new FormUrlEncodedContent([])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }
        using (var logout = await browser.On(node2).GetAsync("/logout"))
        {
            Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        }
        Assert.DoesNotContain("Signed in as", await GetPageAsync(browser.On(node1), "/"), StringComparison.Ordinal);
        using var protectedPage = await browser.On(node1).GetAsync("/account/sessions");
        Assert.Equal(HttpStatusCode.Redirect, protectedPage.StatusCode);
    }

    [Fact]
    public async Task The_devices_page_lists_the_sessions_and_ends_another_one_whose_browser_then_shows_the_reason()
    {
        var prefix = TestKeys.NewPrefix('f');
        await using var node1 = Node(prefix, "node-1");
        await using var node2 = Node(prefix, "node-2");
        var laptop = new FarmBrowser(node1);
        var phone = new FarmBrowser(node2);
        var tablet = new FarmBrowser(node1);
        await SignInAsync(laptop.Client, "alice");
        await SignInAsync(phone.Client, "alice");
        await SignInAsync(tablet.Client, "alice");

        var rows = Rows(await GetPageAsync(laptop.Client, "/account/sessions"));

        Assert.Equal(3, rows.Count);
        var current = Assert.Single(rows, r => r.Current);
        Assert.Equal(rows[0], current); // the laptop signed in first
        Assert.Equal(3, Regex.Count(await GetPageAsync(laptop.Client, "/account/sessions"), "data-testid=\"sign-out-session\""));
        var phoneRow = Rows(await GetPageAsync(phone.On(node2), "/account/sessions")).Single(r => r.Current);

        using (var ended = await PostFormAsync(laptop.Client, "/account/sessions", $"/account/sessions/{phoneRow.Id}/sign-out"))
        {
            Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        }
        var phoneHome = await GetPageAsync(phone.On(node2), "/");
        Assert.Contains("data-testid=\"signed-out-reason\" data-reason=\"terminated\"", phoneHome, StringComparison.Ordinal);
        Assert.DoesNotContain("Signed in as", phoneHome, StringComparison.Ordinal);

        using (var others = await PostFormAsync(laptop.Client, "/account/sessions", "/account/sessions/sign-out-others"))
        {
            Assert.Equal(HttpStatusCode.Redirect, others.StatusCode);
        }
        Assert.Contains("data-reason=\"terminated\"", await GetPageAsync(tablet.Client, "/"), StringComparison.Ordinal);
        Assert.Equal([current.Id], Rows(await GetPageAsync(laptop.Client, "/account/sessions")).Select(r => r.Id));
    }

    [Fact]
    public async Task A_browser_evicted_by_the_session_limit_is_told_why()
    {
        var prefix = TestKeys.NewPrefix('f');
        await using var node1 = Node(prefix, "node-1", maxSessionsPerUser: 1);
        await using var node2 = Node(prefix, "node-2", maxSessionsPerUser: 1);
        var first = new FarmBrowser(node1);
        var second = new FarmBrowser(node2);
        await SignInAsync(first.Client, "alice");

        await SignInAsync(second.Client, "alice");

        var html = await GetPageAsync(first.Client, "/");
        Assert.Contains("data-testid=\"signed-out-reason\" data-reason=\"evicted\"", html, StringComparison.Ordinal);
        Assert.Contains("<input name=\"username\"", html, StringComparison.Ordinal);
        Assert.Contains("Signed in as alice", await GetPageAsync(second.Client, "/"), StringComparison.Ordinal);
    }
}
