using System.Diagnostics;
using System.Globalization;
using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// What a logout acknowledged by the primary is worth when the primary dies right after, and what
/// <see cref="LogoutDurability"/> buys: with <c>appendfsync everysec</c> (deploy/redis.conf) a SIGKILL right after a
/// burst of logouts, counting the logged-out sessions that come back; <see cref="LogoutDurability.AppendOnlyFileSynced"/>
/// (WAITAOF, Redis 7.2+); and <see cref="LogoutDurability.ReplicaAcknowledged"/> on a primary + replica pair whose
/// primary is killed and whose replica is promoted with <c>REPLICAOF NO ONE</c>.
/// <para>
/// The servers are redis-server processes of the test's own, not containers: the primary is killed with SIGKILL and
/// started again on the same port and directory to reload the AOF it wrote, the replica is frozen with SIGSTOP and
/// promoted by hand, and the two talk to each other over loopback ports the test knows.
/// </para>
/// </summary>
public sealed class LogoutDurabilityTests(ITestOutputHelper output)
{
    private const int Burst = 400;
    private const string Prefix = "durable";

    [Fact]
    public async Task Everysec_sigkill_right_after_a_burst_of_logouts_counts_the_logouts_that_came_back()
    {
        var figures = new Figures(output, nameof(Everysec_sigkill_right_after_a_burst_of_logouts_counts_the_logouts_that_came_back));
        await using var server = await RedisServerProcess.StartAsync(); // deploy/redis.conf: appendonly yes, appendfsync everysec
        using var admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true,abortConnect=false");
        await using (var web = await SessionManager.ConnectAsync(Configuration(server), Options()))
        {
            var sessions = await LoginAsync(web, Burst);
            // The logins are on disk before the burst: a rewrite writes and fsyncs a new base file.
            await RewriteAppendOnlyFileAsync(admin);

            var clock = Stopwatch.StartNew();
            var loggedOut = await LogoutBurstAsync(web, sessions);
            var lastAck = clock.Elapsed;
            await server.KillAsync();
            figures.Add("logouts_acknowledged", loggedOut.Count);
            figures.Add("burst_ms", Math.Round(lastAck.TotalMilliseconds));
            figures.Add("killed_within_ms_of_last_ack", Math.Round((clock.Elapsed - lastAck).TotalMilliseconds, 1));

            await server.StartAgainAsync();
            var cameBack = await CameBackAsync(web, sessions, loggedOut);
            var delayedFsync = File.ReadLines(Path.Combine(server.Directory, "redis.log")).Count(l => l.Contains("Asynchronous AOF fsync is taking too long", StringComparison.Ordinal));
            figures.Add("logouts_that_came_back", cameBack);
            figures.Add("aof_writes_postponed_behind_a_slow_fsync", delayedFsync);
            // Redis write()s the AOF before it answers (everysec defers only the fsync), so a killed *process* loses
            // nothing it acknowledged: the page cache still has it. Only a write Redis postponed behind a slow fsync
            // (logged) can be lost that way; the second everysec can lose is a crash of the *machine*.
            Assert.True(cameBack == 0 || delayedFsync > 0, $"{cameBack} acknowledged logouts came back although Redis never postponed an AOF write");
        }
        figures.Publish();
    }

    [Fact]
    public async Task AppendOnlyFileSynced_names_the_redis_version_it_needs_or_keeps_the_logout_through_a_sigkill()
    {
        var figures = new Figures(output, nameof(AppendOnlyFileSynced_names_the_redis_version_it_needs_or_keeps_the_logout_through_a_sigkill));
        await using var server = await RedisServerProcess.StartAsync();
        using var admin = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",allowAdmin=true,abortConnect=false");
        var version = admin.GetServer(server.Endpoint).Version;
        figures.Add("redis_version", version.ToString());
        await using var web = await SessionManager.ConnectAsync(Configuration(server), Options(LogoutDurability.AppendOnlyFileSynced));
        var session = await web.CreateSessionAsync("ada");

        if (version < new Version(7, 2))
        {
            var (error, took) = await Calls.FailsAsync<SessionException>(() => web.TerminateSessionAsync(session.SessionId));
            output.WriteLine(error.Message);
            Assert.Contains("WAITAOF", error.Message);
            Assert.Contains("Redis 7.2", error.Message);
            Assert.True(took < TimeSpan.FromSeconds(5), $"the answer took {took}");
            figures.Add("answer", "SessionException naming WAITAOF and Redis 7.2");
            // The session has ended on the primary all the same: only the wait was refused.
            Assert.Null(await web.PeekSessionAsync(session.SessionId));
            Assert.Equal(TerminationReason.Terminated, await web.FindTerminationReasonAsync(session.SessionId));
        }
        else
        {
            Assert.True(await web.TerminateSessionAsync(session.SessionId)); // returns once the AOF holding it is fsynced
            await server.KillAsync();
            await server.StartAgainAsync();
            var (reason, _) = await Calls.UntilAvailableAsync(() => web.FindTerminationReasonAsync(session.SessionId), "Redis is back");
            Assert.Equal(TerminationReason.Terminated, reason);
            figures.Add("answer", "logout kept through SIGKILL");
        }
        figures.Publish();
    }

    [Fact]
    public async Task ReplicaAcknowledged_logouts_survive_killing_the_primary_and_promoting_the_replica()
    {
        var figures = new Figures(output, nameof(ReplicaAcknowledged_logouts_survive_killing_the_primary_and_promoting_the_replica));
        await using var primary = await RedisServerProcess.StartAsync();
        await using var replica = await StartReplicaAsync(primary);
        await using var web = await SessionManager.ConnectAsync(Configuration(primary),
            Options(LogoutDurability.ReplicaAcknowledged, TimeSpan.FromSeconds(2)), new LogCapture(output, "web"));

        // A replica that does not answer: the logout ends the session on the primary and says, in words and in
        // bounded time, that no replica has it.
        var frozenCase = await web.CreateSessionAsync("frozen");
        await replica.PauseAsync();
        var read = await web.CreateSessionAsync("reader");
        var reads = Task.Run(async () =>
        {
            var slowest = TimeSpan.Zero;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(2.5))
            {
                var one = Stopwatch.StartNew();
                await web.GetSessionAsync(read.SessionId);
                slowest = one.Elapsed > slowest ? one.Elapsed : slowest;
            }
            return slowest;
        });
        var (error, took) = await Calls.FailsAsync<SessionException>(() => web.TerminateSessionAsync(frozenCase.SessionId));
        var slowestRead = await reads;
        await replica.ResumeAsync();
        output.WriteLine(error.Message);
        Assert.Contains("no replica acknowledged it within 00:00:02", error.Message);
        Assert.InRange(took, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        figures.Add("frozen_replica_logout_answer_s", took);
        // WAIT blocks the connection it is sent on, and a multiplexer has one: every other call of this manager
        // waited behind it.
        figures.Add("reads_of_the_same_manager_waiting_behind_it_s", slowestRead);

        var sessions = await LoginAsync(web, Burst);
        var clock = Stopwatch.StartNew();
        var loggedOut = await LogoutBurstAsync(web, sessions);
        var lastAck = clock.Elapsed;
        await primary.KillAsync();
        figures.Add("logouts_acknowledged", loggedOut.Count);
        figures.Add("burst_ms", Math.Round(lastAck.TotalMilliseconds));
        figures.Add("killed_within_ms_of_last_ack", Math.Round((clock.Elapsed - lastAck).TotalMilliseconds, 1));

        var cameBack = await PromoteAndCountAsync(replica, sessions, loggedOut);
        figures.Add("logouts_that_came_back", cameBack);
        Assert.Equal(0, cameBack);
        figures.Publish();
    }

    [Fact]
    public async Task Primary_acknowledged_logouts_are_lost_when_the_promoted_replica_was_behind()
    {
        var figures = new Figures(output, nameof(Primary_acknowledged_logouts_are_lost_when_the_promoted_replica_was_behind));
        await using var primary = await RedisServerProcess.StartAsync();
        await using var replica = await StartReplicaAsync(primary);
        using var admin = await ConnectionMultiplexer.ConnectAsync(primary.Endpoint + ",allowAdmin=true,abortConnect=false,syncTimeout=10000");
        await using var web = await SessionManager.ConnectAsync(Configuration(primary), Options(LogoutDurability.Primary));
        var sessions = await LoginAsync(web, Burst);
        await CaughtUpAsync(primary, replica); // the logins are on the replica

        // The replica falls behind: frozen while the primary streams it more than the sockets between them hold, so
        // the logouts that follow wait in the primary's output buffer (asynchronous replication at its worst: a slow
        // or paused replica, a congested link).
        await replica.PauseAsync();
        var junk = new byte[8 * 1024 * 1024];
        for (var i = 0; i < 4; i++)
        {
            await admin.GetDatabase().StringSetAsync("junk:" + i.ToString(CultureInfo.InvariantCulture), junk);
        }
        var clock = Stopwatch.StartNew();
        var loggedOut = await LogoutBurstAsync(web, sessions);
        figures.Add("logouts_acknowledged", loggedOut.Count);
        figures.Add("burst_ms", Math.Round(clock.Elapsed.TotalMilliseconds));
        await primary.KillAsync();
        await replica.ResumeAsync();
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", Text(replica.Port), "info", "replication")).Contains("master_link_status:down", StringComparison.Ordinal),
            "the replica has read what reached it and noticed the primary is gone");

        var cameBack = await PromoteAndCountAsync(replica, sessions, loggedOut);
        figures.Add("logouts_that_came_back", cameBack);
        // Every one was acknowledged by the primary, none had reached the replica: all of them are undone.
        Assert.Equal(loggedOut.Count, cameBack);
        figures.Publish();
    }

    private async Task<int> PromoteAndCountAsync(RedisServerProcess replica, IReadOnlyList<Session> sessions, IReadOnlySet<string> loggedOut)
    {
        await RedisTools.RunCliAsync("-p", Text(replica.Port), "replicaof", "no", "one");
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", Text(replica.Port), "role")).StartsWith("master", StringComparison.Ordinal),
            "the replica is promoted");
        await using var reader = await SessionManager.ConnectAsync(Configuration(replica), Options());
        return await CameBackAsync(reader, sessions, loggedOut);
    }

    /// <summary>Counts acknowledged logouts whose session is live again; checks that every session is either live with
    /// its data or ended as terminated (nothing half-written).</summary>
    private async Task<int> CameBackAsync(SessionManager manager, IReadOnlyList<Session> sessions, IReadOnlySet<string> loggedOut)
    {
        var cameBack = 0;
        foreach (var session in sessions)
        {
            var (live, _) = await Calls.UntilAvailableAsync(() => manager.PeekSessionAsync(session.SessionId), "Redis answers");
            if (live is not null)
            {
                Assert.Equal(session.UserId, live.GetData("user"));
                if (loggedOut.Contains(session.SessionId))
                {
                    cameBack++;
                }
            }
            else
            {
                Assert.Equal(TerminationReason.Terminated, await manager.FindTerminationReasonAsync(session.SessionId));
            }
        }
        output.WriteLine($"{cameBack} of {loggedOut.Count} acknowledged logouts came back");
        return cameBack;
    }

    private static async Task<List<Session>> LoginAsync(SessionManager manager, int count)
    {
        var sessions = new Session[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var user = "user-" + i.ToString(CultureInfo.InvariantCulture);
            sessions[i] = await manager.CreateSessionAsync(user, SessionLedger.Data(0, user), ct);
        });
        return [.. sessions];
    }

    /// <summary>Logs every session out, 32 at a time, as fast as Redis answers; returns the acknowledged ones.</summary>
    private static async Task<IReadOnlySet<string>> LogoutBurstAsync(SessionManager manager, IReadOnlyList<Session> sessions)
    {
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (session, ct) =>
        {
            if (await manager.TerminateSessionAsync(session.SessionId, ct))
            {
                acknowledged.TryAdd(session.SessionId, 0);
            }
        });
        return acknowledged.Keys.ToHashSet(StringComparer.Ordinal);
    }

    private static async Task RewriteAppendOnlyFileAsync(ConnectionMultiplexer admin)
    {
        var server = admin.GetServers()[0];
        static long Rewrites(string info) => long.Parse(info.Split('\n').First(l => l.StartsWith("aof_rewrites:", StringComparison.Ordinal))["aof_rewrites:".Length..].Trim(), CultureInfo.InvariantCulture);
        var before = Rewrites((await server.InfoRawAsync("persistence"))!);
        await server.ExecuteAsync("BGREWRITEAOF");
        await Eventually.TrueAsync(async () =>
        {
            var info = (await server.InfoRawAsync("persistence"))!;
            return Rewrites(info) > before && info.Contains("aof_rewrite_in_progress:0", StringComparison.Ordinal)
                && info.Contains("aof_rewrite_scheduled:0", StringComparison.Ordinal) && info.Contains("aof_last_bgrewrite_status:ok", StringComparison.Ordinal);
        }, "the AOF rewrite finished");
    }

    /// <summary>Waits until the replica has processed everything the primary has written so far. (WAIT from another
    /// connection would not do: it waits only for that connection's own writes.)</summary>
    private static async Task CaughtUpAsync(RedisServerProcess primary, RedisServerProcess replica)
    {
        static async Task<long> OffsetAsync(RedisServerProcess server, string field)
        {
            var info = await RedisTools.RunCliAsync("-p", Text(server.Port), "info", "replication");
            var line = info.Split('\n').First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return long.Parse(line[(field.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        var written = await OffsetAsync(primary, "master_repl_offset");
        await Eventually.TrueAsync(async () => await OffsetAsync(replica, "slave_repl_offset") >= written, "the replica has caught up");
    }

    private static async Task<RedisServerProcess> StartReplicaAsync(RedisServerProcess primary)
    {
        var replica = await RedisServerProcess.StartAsync("--replicaof", "127.0.0.1", Text(primary.Port));
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", Text(replica.Port), "info", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
            "the replica is in sync", TimeSpan.FromSeconds(30));
        return replica;
    }

    private static string Configuration(RedisServerProcess server) => $"{server.Endpoint},abortConnect=false,connectTimeout=2000";

    private static SessionOptions Options(LogoutDurability durability = LogoutDurability.Primary, TimeSpan? timeout = null) => new()
    {
        KeyPrefix = Prefix,
        NodeName = "web",
        EnableAutoCleanup = false,
        MaxSessionsPerUser = 0,
        InactiveTimeout = TimeSpan.FromMinutes(10),
        LogoutDurability = durability,
        LogoutDurabilityTimeout = timeout ?? TimeSpan.FromSeconds(1),
    };

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
