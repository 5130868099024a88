using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

/// <summary>The same commands against a 3-master Redis Cluster: the walk reaches every master's buckets, heartbeats
/// are found on every master, and writes route by hash slot.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterRedisFixture redis) : CliTestBase(redis)
{
    private const int Users = 24;

    private async Task<List<Session>> SeedAsync(string prefix)
    {
        await using var web1 = NewManager(prefix, "web-1");
        await using var web2 = NewManager(prefix, "web-2");
        var sessions = new List<Session>();
        for (var i = 0; i < Users; i++)
        {
            sessions.Add(await web1.CreateSessionAsync($"user{i}"));
            sessions.Add(await web2.CreateSessionAsync($"user{i}"));
        }
        return sessions;
    }

    [Fact]
    public async Task List_walks_every_master()
    {
        var prefix = NewPrefix();
        var sessions = await SeedAsync(prefix);
        var masters = sessions.Select(s => Redis.Connection.GetDatabase().IdentifyEndpoint(Key(prefix, s.SessionId, "session"))?.ToString()).Distinct().Count();
        Assert.Equal(3, masters); // the seed really spreads over the cluster

        var json = await CliAsync(prefix, "list", "--json");
        var byUser = await CliAsync(prefix, "list", "--user", "user7", "--json");
        var byNode = await CliAsync(prefix, "list", "--node", "web-2", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(sessions.Select(s => s.SessionId).Order(StringComparer.Ordinal),
            json.Json().GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("session_id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(2, byUser.Json().GetProperty("count").GetInt32());
        Assert.Equal(Users, byNode.Json().GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Stats_counts_across_the_cluster_and_finds_heartbeats_on_every_master()
    {
        var prefix = NewPrefix();
        await SeedAsync(prefix);
        var db = Redis.Db;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var workers = Enumerable.Range(0, 9).Select(i => $"worker-{i}").ToList();
        foreach (var worker in workers)
        {
            await db.HashSetAsync($"{prefix}:heartbeat:{worker}", [new("node", worker), new("host", "h"), new("pid", "1"), new("started", now), new("last", now)]);
        }
        Assert.Equal(3, workers.Select(w => db.IdentifyEndpoint($"{prefix}:heartbeat:{w}")?.ToString()).Distinct().Count());

        var result = await CliAsync(prefix, "stats", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(2 * Users, json.GetProperty("active_sessions").GetInt64());
        Assert.Equal(Users, json.GetProperty("unique_users").GetInt64());
        Assert.Equal(Users, json.GetProperty("sessions_per_node").GetProperty("web-1").GetInt64());
        Assert.Equal(Users, json.GetProperty("sessions_per_node").GetProperty("web-2").GetInt64());
        Assert.Equal(workers, json.GetProperty("listeners").EnumerateArray().Select(l => l.GetProperty("node").GetString()!));
    }

    [Fact]
    public async Task Show_terminate_and_cleanup_route_by_slot()
    {
        var prefix = NewPrefix();
        var sessions = await SeedAsync(prefix);
        var target = sessions[5];
        // A user in a bucket's expiry schedule with no entry in its users hash.
        var staleKey = BucketKey(prefix, sessions[11].SessionId, "expiry");
        await Redis.Db.SortedSetAddAsync(staleKey, "ghost", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        var show = await CliAsync(prefix, "show", target.SessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(target.UserId, show.Json().GetProperty("user_id").GetString());

        var terminate = await CliAsync(prefix, "terminate", "--user", target.UserId, "--json");
        Assert.True(terminate.ExitCode == 0, terminate.ToString());
        Assert.Equal(2, terminate.Json().GetProperty("count").GetInt32());

        var cleanup = await CliAsync(prefix, "cleanup", "--yes", "--json");
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
        Assert.Equal(1, cleanup.Json().GetProperty("result").GetProperty("removed_index_entries").GetInt64());
        Assert.Null(await Redis.Db.SortedSetScoreAsync(staleKey, "ghost"));
    }

    [Fact]
    public async Task Doctor_reports_the_cluster_topology()
    {
        var result = await CliAsync(NewPrefix(), "doctor", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var checks = result.Json().GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(3, checks.Count(c => c.GetProperty("check").GetString() == "version"));
        var topology = checks.Single(c => c.GetProperty("check").GetString() == "topology");
        Assert.Equal("ok", topology.GetProperty("status").GetString());
        Assert.StartsWith("cluster: 3 master(s), 0 replica(s), 16384/16384 slots covered", topology.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
