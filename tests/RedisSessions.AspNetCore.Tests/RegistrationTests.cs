using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RedisSessions.AspNetCore.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary>What registration and start-up say: options validation, the Data Protection warning, the order of calls.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class RegistrationTests(StandaloneRedisFixture redis) : WebTestBase(redis)
{
    [Fact]
    public async Task A_bad_setting_stops_start_up_with_a_message_naming_it()
    {
        var app = TestWebApp.Build(Redis.Connection, NewPrefix(), s => s.Web = o => o.UserIdClaimType = " ", out var logs, out var gates);
        await using var built = app;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("RedisSessions:AspNetCore:UserIdClaimType must name a claim type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_warns_when_data_protection_keys_are_not_shared()
    {
        await using var local = await StartAppAsync(NewPrefix(), s => s.SharedKeys = false);
        await using var shared = await StartAppAsync(NewPrefix());

        var warning = Assert.Single(local.Logs.Entries, e => e.EventId.Name == "DataProtectionKeysNotShared");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("PersistKeysTo", warning.Message, StringComparison.Ordinal);
        Assert.True(local.Logs.Has("DataProtectionNoApplicationName"));
        Assert.False(shared.Logs.Has("DataProtectionKeysNotShared"));
        Assert.False(shared.Logs.Has("DataProtectionNoApplicationName"));
    }

    [Fact]
    public async Task The_store_is_wired_whether_registered_before_or_after_the_cookie_scheme_and_the_user_id_claim_is_configurable()
    {
        await using var app = await StartAppAsync(NewPrefix(), s =>
        {
            s.Web = o => o.UserIdClaimType = "sub";
            // A second scheme registered store-first, cookie-second.
            s.Services = services => services.AddAuthentication().AddRedisSessionStore("Second").AddCookie("Second");
        });
        var second = app.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get("Second");
        Assert.NotNull(second.SessionStore);
        Assert.NotSame(app.CookieOptions.SessionStore, second.SessionStore);

        // The principal has no "sub" claim: its name is the user id.
        using var browser = new Browser(app);
        var sessionId = await browser.SignInAsync("alice");
        Assert.Equal("alice", (await app.Sessions.PeekSessionAsync(sessionId))!.UserId);
    }
}
