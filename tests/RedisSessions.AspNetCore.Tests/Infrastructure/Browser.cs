using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Xunit;

namespace RedisSessions.AspNetCore.Tests.Infrastructure;

/// <summary>One browser: a cookie jar and a user agent, talking to one node of a test app (or another node with the
/// same cookies, <see cref="On"/>). Follows no redirects, so a test sees them.</summary>
public sealed class Browser : IDisposable
{
    public const string AuthCookieName = ".AspNetCore.Cookies";
    private static readonly Uri Origin = new("http://localhost");

    public Browser(TestWebApp app, string userAgent = "TestBrowser/1.0 (device)")
        : this(app, new CookieContainer(), userAgent)
    {
    }

    private Browser(TestWebApp app, CookieContainer cookies, string userAgent)
    {
        App = app;
        Cookies = cookies;
        UserAgent = userAgent;
        var handler = new CookieContainerHandler(cookies) { InnerHandler = app.Server.CreateHandler() };
        Client = new HttpClient(handler) { BaseAddress = Origin };
        Client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
    }

    public TestWebApp App { get; }

    public CookieContainer Cookies { get; }

    public string UserAgent { get; }

    public HttpClient Client { get; }

    /// <summary>The same browser (cookies) talking to another node.</summary>
    public Browser On(TestWebApp node) => new(node, Cookies, UserAgent);

    /// <summary>The authentication cookie's value, or null.</summary>
    public string? AuthCookie => Cookies.GetCookies(Origin)[AuthCookieName]?.Value;

    public void SetAuthCookie(string value) => Cookies.Add(Origin, new Cookie(AuthCookieName, value));

    /// <summary>Signs in and returns the new session id.</summary>
    public async Task<string> SignInAsync(string user, string? profile = null)
    {
        using var response = await TrySignInAsync(user, profile);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in of {user}: {(int)response.StatusCode} {body}");
        Assert.False(string.IsNullOrEmpty(body));
        return body;
    }

    public Task<HttpResponseMessage> TrySignInAsync(string user, string? profile = null) =>
        Client.PostAsync($"/signin/{Uri.EscapeDataString(user)}{(profile is null ? "" : "?profile=" + Uri.EscapeDataString(profile))}", null);

    public async Task SignOutAsync()
    {
        using var response = await Client.PostAsync("/signout", null);
        response.EnsureSuccessStatusCode();
    }

    public async Task<WhoAmI> MeAsync()
    {
        using var response = await Client.GetAsync("/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WhoAmI>())!;
    }

    public async Task<HttpStatusCode> GetStatusAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    /// <summary>The session state as <c>k=v,k=v</c>, keys sorted.</summary>
    public async Task<string> StateAsync()
    {
        using var response = await Client.GetAsync("/state");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async Task SetStateAsync(string key, string value)
    {
        using var response = await Client.PutAsync($"/state/{key}/{value}", null);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    public async Task RemoveStateAsync(string key)
    {
        using var response = await Client.DeleteAsync($"/state/{key}");
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    public async Task MoveStateAsync(string from, string to)
    {
        using var response = await Client.PostAsync($"/state/{from}/move-to/{to}", null);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    public void Dispose() => Client.Dispose();
}
