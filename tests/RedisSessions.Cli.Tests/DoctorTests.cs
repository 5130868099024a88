using System.Text.RegularExpressions;
using RedisSessions.Cli.Tests.Infrastructure;
using Testcontainers.Redis;
using Xunit;

namespace RedisSessions.Cli.Tests;

/// <summary>doctor changes nothing, but these tests change the server's configuration, so each gets its own server
/// (a container with deploy/redis.conf, like the shared one).</summary>
public sealed class DoctorTests
{
    private static Task<CliResult> DoctorAsync(RedisContainer server, params string[] arguments) =>
        CliRunner.RunAsync(["doctor", .. arguments, "--redis", RedisContainers.Endpoint(server), "--prefix", "doc"]);

    private static async Task ConfigSetAsync(RedisContainer server, string name, string value)
    {
        var reply = await server.ExecAsync(["redis-cli", "config", "set", name, value]);
        Assert.Equal("OK", reply.Stdout.Trim());
    }

    [Fact]
    public async Task Doctor_passes_on_the_deploy_configuration()
    {
        await using var server = await RedisContainers.StartAsync();

        var table = await DoctorAsync(server);
        var json = await DoctorAsync(server, "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches($@"OK\s+version\s+{Regex.Escape(RedisContainers.Endpoint(server))}\s+Redis \d+\.\d+", table.Stdout);
        Assert.Matches(@"OK\s+notify-keyspace-events", table.Stdout);
        Assert.Matches(@"OK\s+maxmemory-policy\s+\S+\s+noeviction", table.Stdout);
        Assert.Matches(@"OK\s+persistence\s+\S+\s+AOF on", table.Stdout);
        Assert.Matches(@"INFO\s+topology\s+\S+\s+standalone server", table.Stdout);
        Assert.EndsWith("No problem found.", table.Stdout.Trim(), StringComparison.Ordinal);

        Assert.Equal(0, json.ExitCode);
        var report = json.Json();
        Assert.True(report.GetProperty("healthy").GetBoolean());
        Assert.Equal(0, report.GetProperty("problems").GetInt32());
        var checks = report.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("check").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "version", "notify-keyspace-events", "maxmemory-policy", "persistence", "topology", "listeners", "pending terminations" }, checks);
    }

    [Fact]
    public async Task Doctor_warns_and_exits_non_zero_on_an_evicting_policy_missing_notifications_or_no_persistence()
    {
        await using var server = await RedisContainers.StartAsync();
        await ConfigSetAsync(server, "maxmemory-policy", "allkeys-lru");
        await ConfigSetAsync(server, "notify-keyspace-events", "");
        await ConfigSetAsync(server, "appendonly", "no");
        await ConfigSetAsync(server, "save", "");

        var table = await DoctorAsync(server);
        var json = await DoctorAsync(server, "--json");

        Assert.True(table.ExitCode == 4, table.ToString());
        Assert.Matches(@"WARN\s+maxmemory-policy\s+\S+\s+allkeys-lru .*can silently evict live sessions", table.Stdout);
        Assert.Matches(@"WARN\s+notify-keyspace-events", table.Stdout);
        Assert.Matches(@"WARN\s+persistence\s+\S+\s+no AOF and no RDB", table.Stdout);
        Assert.EndsWith("3 problem(s) found.", table.Stdout.Trim(), StringComparison.Ordinal);

        Assert.Equal(4, json.ExitCode);
        var report = json.Json();
        Assert.False(report.GetProperty("healthy").GetBoolean());
        Assert.Equal(3, report.GetProperty("problems").GetInt32());
        var policy = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("check").GetString() == "maxmemory-policy");
        Assert.Equal("warn", policy.GetProperty("status").GetString());

        await ConfigSetAsync(server, "maxmemory-policy", "volatile-ttl");
        var volatilePolicy = await DoctorAsync(server);
        Assert.Matches(@"WARN\s+maxmemory-policy\s+\S+\s+volatile-ttl .*every session key has one", volatilePolicy.Stdout);
    }

    [Fact]
    public async Task Doctor_lists_listener_heartbeats_and_warns_about_terminations_nobody_runs()
    {
        await using var server = await RedisContainers.StartAsync();
        using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisContainers.Endpoint(server));
        await using (var manager = new SessionManager(connection, new SessionOptions { KeyPrefix = "doc", EnableAutoCleanup = false }))
        {
            var session = await manager.CreateSessionAsync("tom");
            await manager.TerminateSessionAsync(session.SessionId); // no callbacks here: it stays pending
        }

        var pending = await DoctorAsync(server);
        Assert.True(pending.ExitCode == 4, pending.ToString());
        Assert.Matches(@"WARN\s+pending terminations\s+doc\s+1 ended session\(s\) wait", pending.Stdout);

        var now = await RedisTime.NowAsync(connection.GetDatabase());
        await connection.GetDatabase().HashSetAsync("doc:heartbeat:worker-9", [new("node", "worker-9"), new("host", "box"), new("pid", "77"), new("started", now), new("last", now)]);
        var listening = await DoctorAsync(server);
        Assert.True(listening.ExitCode == 0, listening.ToString());
        Assert.Matches(@"OK\s+listeners\s+doc\s+worker-9 on box \(pid 77\), last seen", listening.Stdout);
        Assert.Matches(@"OK\s+pending terminations\s+doc\s+1 pending", listening.Stdout);
    }

    [Fact]
    public async Task Doctor_says_plainly_what_it_cannot_check_when_config_and_info_are_refused()
    {
        await using var server = await RedisContainers.StartAsync();
        // An ACL user like a managed Redis gives: everything but CONFIG and INFO.
        var acl = await server.ExecAsync(["redis-cli", "ACL", "SETUSER", "app", "on", ">secret", "~*", "&*", "+@all", "-config", "-info"]);
        Assert.Equal("OK", acl.Stdout.Trim());
        var asApp = RedisContainers.Endpoint(server) + ",user=app,password=secret";

        var table = await CliRunner.RunAsync("doctor", "--redis", asApp, "--prefix", "doc");
        var json = await CliRunner.RunAsync("doctor", "--json", "--redis", asApp, "--prefix", "doc");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal(string.Empty, table.Stderr);
        Assert.Matches(@"OK\s+version\s+\S+\s+INFO is refused \(NOPERM[^)]*\); PEXPIRETIME exists, so it is Redis 7.0 or later", table.Stdout);
        Assert.Matches(@"SKIP\s+notify-keyspace-events\s+\S+\s+can't check: CONFIG GET is refused \(NOPERM", table.Stdout);
        Assert.Matches(@"SKIP\s+maxmemory-policy\s+\S+\s+can't check: CONFIG GET is refused", table.Stdout);
        Assert.Matches(@"SKIP\s+persistence\s+\S+\s+can't check: INFO is refused", table.Stdout);
        Assert.EndsWith("No problem found. 3 check(s) skipped: the server refused what they need (check those settings with your provider).", table.Stdout.Trim(), StringComparison.Ordinal);
        var report = json.Json();
        Assert.True(report.GetProperty("healthy").GetBoolean());
        Assert.Equal(3, report.GetProperty("skipped").GetInt32());
        Assert.Equal(3, report.GetProperty("checks").EnumerateArray().Count(c => c.GetProperty("status").GetString() == "skip"));

        // The other commands don't need CONFIG or INFO.
        Assert.Equal(0, (await CliRunner.RunAsync("stats", "--redis", asApp, "--prefix", "doc")).ExitCode);
    }
}

/// <summary>doctor on the 3-master cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterDoctorTests(ClusterRedisFixture redis) : CliTestBase(redis)
{
    [Fact]
    public async Task Doctor_checks_every_master_and_reports_the_cluster_topology()
    {
        var result = await CliAsync(NewPrefix(), "doctor", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var checks = result.Json().GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(3, checks.Count(c => c.GetProperty("check").GetString() == "version" && c.GetProperty("status").GetString() == "ok"));
        var topology = checks.Single(c => c.GetProperty("check").GetString() == "topology");
        Assert.Equal("ok", topology.GetProperty("status").GetString());
        Assert.StartsWith("cluster: 3 master(s), 0 replica(s), 16384/16384 slots covered", topology.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
