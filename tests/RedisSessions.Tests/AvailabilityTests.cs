using RedisSessions.LocalRedis;
using RedisSessions.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;

namespace RedisSessions.Tests;

/// <summary>Redis going away and coming back, on a server of the test's own: a local redis-server process, not a
/// container like the shared fixture's, because the test stops the server and starts it again on the same port and
/// directory (it reloads its AOF from disk); a restarted container would get a new published port.</summary>
public sealed class AvailabilityTests
{
    [Fact]
    public async Task Redis_down_gives_a_clear_error_and_work_resumes_by_itself_when_it_is_back()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var options = ConfigurationOptions.Parse(server.Endpoint);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1000;
        options.SyncTimeout = 1000;
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await using var manager = new SessionManager(connection, new SessionOptions { KeyPrefix = "avail", EnableAutoCleanup = false });
        var before = await manager.CreateSessionAsync("alice", new Dictionary<string, string> { ["k"] = "v" });

        await server.StopAsync(); // SIGTERM: Redis fsyncs its AOF
        var error = await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => manager.CreateSessionAsync("bob"));
        Assert.Contains("Redis is unreachable", error.Message);
        await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => manager.GetSessionAsync(before.SessionId));

        await server.StartAgainAsync();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return await manager.GetSessionAsync(before.SessionId) is not null;
            }
            catch (SessionStoreUnavailableException)
            {
                return false;
            }
        }, "the manager works again after Redis restarted");
        var loaded = await manager.GetSessionAsync(before.SessionId);
        Assert.Equal("v", loaded!.GetData("k"));
        // The refused login left nothing half-written: bob has no session, and a new login works.
        Assert.Empty(await manager.GetUserSessionsAsync("bob"));
        await manager.CreateSessionAsync("bob");
    }
}
