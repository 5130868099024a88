using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

/// <summary>LogoutDurability on servers that can't give it: the logout still ends the session, and the caller learns,
/// in words, what was not reached. (With a replica it is reached: see the fault suite.)</summary>
public abstract class DurabilityTests(RedisFixture redis) : SessionTestBase(redis)
{
    [Fact]
    public async Task Waiting_for_a_replica_that_does_not_exist_fails_clearly_after_the_timeout_and_the_session_has_ended()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => { o.LogoutDurability = LogoutDurability.ReplicaAcknowledged; o.LogoutDurabilityTimeout = TimeSpan.FromMilliseconds(200); });
        var session = await manager.CreateSessionAsync("rita");

        var error = await Assert.ThrowsAsync<SessionException>(() => session.TerminateAsync());

        Assert.Contains("no replica acknowledged it within 00:00:00.2", error.Message);
        Assert.Null(await manager.PeekSessionAsync(session.SessionId));
        Assert.Equal(TerminationReason.Terminated, await manager.FindTerminationReasonAsync(session.SessionId));
    }

    [Fact]
    public async Task Waiting_for_the_append_only_file_names_the_redis_version_it_needs()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.LogoutDurability = LogoutDurability.AppendOnlyFileSynced);
        var version = (await Redis.Connection.GetServers().First(s => s.IsConnected && !s.IsReplica).InfoRawAsync("server"))!;
        var session = await manager.CreateSessionAsync("sam");

        if (version.Contains("redis_version:7.0", StringComparison.Ordinal) || version.Contains("redis_version:6.", StringComparison.Ordinal))
        {
            var error = await Assert.ThrowsAsync<SessionException>(() => session.TerminateAsync());
            Assert.Contains("WAITAOF", error.Message);
            Assert.Contains("7.2", error.Message);
        }
        else
        {
            Assert.True(await session.TerminateAsync()); // appendonly yes with an fsync policy: WAITAOF 1 0 is reached
        }
        Assert.Null(await manager.PeekSessionAsync(session.SessionId));
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneDurabilityTests(StandaloneRedisFixture redis) : DurabilityTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterDurabilityTests(ClusterRedisFixture redis) : DurabilityTests(redis);

[Collection(TlsCollection.Name)]
public sealed class TlsDurabilityTests(TlsRedisFixture redis) : DurabilityTests(redis);
