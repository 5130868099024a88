using System.Net;
using System.Net.Http.Json;
using RedisSessions.AspNetCore.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary>"Your devices": listing the user's sessions, ending one, ending all others — and never another user's.</summary>
public abstract class DeviceTests(RedisFixture redis) : WebTestBase(redis)
{
    private sealed record Device(string SessionId, DateTimeOffset CreatedAt, DateTimeOffset LastActivity, string? UserAgent, string Node, bool IsCurrent);

    private sealed record EndedCount(int Ended);

    [Fact]
    public async Task The_devices_list_shows_the_users_sessions_and_marks_this_browser()
    {
        var prefix = NewPrefix();
        await using var nodeA = await StartAppAsync(prefix, s => s.Node = "node-a");
        await using var nodeB = await StartAppAsync(prefix, s => s.Node = "node-b");
        using var laptop = new Browser(nodeA, "Laptop/1.0");
        using var phone = new Browser(nodeB, "Phone/2.0");
        using var bob = new Browser(nodeA, "Bob/1.0");
        var laptopSession = await laptop.SignInAsync("alice");
        var phoneSession = await phone.SignInAsync("alice");
        await bob.SignInAsync("bob");

        var devices = await laptop.Client.GetFromJsonAsync<List<Device>>("/api/devices");

        Assert.NotNull(devices);
        Assert.Equal([laptopSession, phoneSession], devices.Select(d => d.SessionId));
        Assert.Equal([true, false], devices.Select(d => d.IsCurrent));
        Assert.Equal(["Laptop/1.0", "Phone/2.0"], devices.Select(d => d.UserAgent));
        Assert.Equal(["node-a", "node-b"], devices.Select(d => d.Node));
        Assert.All(devices, d => Assert.True(d.LastActivity >= d.CreatedAt));
        using var anonymous = new Browser(nodeA);
        Assert.Equal(HttpStatusCode.Unauthorized, await anonymous.GetStatusAsync("/api/devices"));
    }

    [Fact]
    public async Task Ending_one_device_signs_that_browser_out_with_reason_terminated()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var laptop = new Browser(app);
        using var phone = new Browser(app);
        await laptop.SignInAsync("alice");
        var phoneSession = await phone.SignInAsync("alice");

        using var response = await laptop.Client.DeleteAsync($"/api/devices/{phoneSession}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var me = await phone.MeAsync();
        Assert.Null(me.User);
        Assert.Equal(nameof(TerminationReason.Terminated), me.Reason);
        Assert.Equal("alice", (await laptop.MeAsync()).User);
    }

    [Fact]
    public async Task Sign_out_others_ends_every_other_session_of_the_user_only()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var laptop = new Browser(app);
        using var phone = new Browser(app);
        using var tablet = new Browser(app);
        using var bob = new Browser(app);
        var laptopSession = await laptop.SignInAsync("alice");
        await phone.SignInAsync("alice");
        await tablet.SignInAsync("alice");
        await bob.SignInAsync("bob");

        using var response = await laptop.Client.DeleteAsync("/api/devices/others");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<EndedCount>())!.Ended);
        Assert.Null((await phone.MeAsync()).User);
        Assert.Equal(nameof(TerminationReason.Terminated), (await tablet.MeAsync()).Reason);
        Assert.Equal(laptopSession, (await laptop.MeAsync()).SessionId);
        Assert.Equal("bob", (await bob.MeAsync()).User);
        Assert.Equal([laptopSession], (await app.Sessions.GetUserSessionsAsync("alice")).Select(s => s.SessionId));
    }

    [Fact]
    public async Task A_session_of_another_user_is_never_ended_by_id()
    {
        await using var app = await StartAppAsync(NewPrefix());
        using var alice = new Browser(app);
        using var bob = new Browser(app);
        await alice.SignInAsync("alice");
        var bobSession = await bob.SignInAsync("bob");

        using var response = await alice.Client.DeleteAsync($"/api/devices/{bobSession}");
        var service = (DeviceSessionService)app.Services.GetService(typeof(DeviceSessionService))!;
        var anonymous = new Microsoft.AspNetCore.Http.DefaultHttpContext();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("bob", (await bob.MeAsync()).User);
        Assert.NotNull(await app.Sessions.PeekSessionAsync(bobSession));
        Assert.True(app.Logs.Has("ForeignSessionRefused"));
        // Not signed in: nothing to list, nothing ended.
        Assert.Empty(await service.GetDevicesAsync(anonymous));
        Assert.False(await service.EndDeviceAsync(anonymous, bobSession));
        Assert.Equal(0, await service.EndOtherDevicesAsync(anonymous));
        Assert.Equal("bob", (await bob.MeAsync()).User);
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneDeviceTests(StandaloneRedisFixture redis) : DeviceTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterDeviceTests(ClusterRedisFixture redis) : DeviceTests(redis);
