using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

/// <summary>list and stats on both topologies: the walk reaches every tag (every master of a cluster), times come from
/// the sessions' own fields on Redis's clock.</summary>
public abstract class ListAndStatsTests(RedisFixture redis) : CliTestBase(redis)
{
    private sealed record Seeded(List<Session> Web1, List<Session> Web2, Session Idle);

    /// <summary>12 users with a session from web-1 and one from web-2; one of carol's looks idle for 20 minutes.</summary>
    private async Task<Seeded> SeedAsync(string prefix)
    {
        await using var web1 = NewManager(prefix, "web-1");
        await using var web2 = NewManager(prefix, "web-2");
        var sessions1 = new List<Session>();
        var sessions2 = new List<Session>();
        for (var i = 0; i < 12; i++)
        {
            sessions1.Add(await web1.CreateSessionAsync($"user{i}"));
            sessions2.Add(await web2.CreateSessionAsync($"user{i}"));
        }
        var idle = await web1.CreateSessionAsync("carol", new Dictionary<string, string> { ["cart"] = "3 items", ["theme"] = "dark" });
        await BackdateActivityAsync(prefix, idle.SessionId, TimeSpan.FromMinutes(20));
        // Neither an ended session nor one past its time is listed.
        Assert.True(await web2.TerminateSessionAsync((await web2.CreateSessionAsync("carol")).SessionId));
        await using var quick = NewManager(prefix, "web-3", o => o.InactiveTimeout = TimeSpan.FromMilliseconds(100));
        var late = await quick.CreateSessionAsync("carol");
        await RedisTime.WaitUntilAsync(Db, late.ExpiresAt);
        if (IsCluster)
        {
            Assert.Equal(3, sessions1.Select(s => Db.IdentifyEndpoint(TestKeys.SessionKey(prefix, s.SessionId))?.ToString()).Distinct().Count());
        }
        return new Seeded(sessions1, sessions2, idle);
    }

    [Fact]
    public async Task List_json_has_every_active_session_with_its_fields_most_idle_first()
    {
        var prefix = NewPrefix();
        var seeded = await SeedAsync(prefix);

        var result = await CliAsync(prefix, "list", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        var rows = json.GetProperty("sessions").EnumerateArray().ToList();
        Assert.Equal(25, json.GetProperty("count").GetInt32());
        Assert.Equal(25, json.GetProperty("matched").GetInt32());
        Assert.Equal(seeded.Web1.Concat(seeded.Web2).Append(seeded.Idle).Select(s => s.SessionId).Order(StringComparer.Ordinal),
            rows.Select(r => r.GetProperty("session_id").GetString()!).Order(StringComparer.Ordinal));
        var first = rows[0];
        Assert.Equal(seeded.Idle.SessionId, first.GetProperty("session_id").GetString());
        Assert.Equal("carol", first.GetProperty("user_id").GetString());
        Assert.Equal("web-1", first.GetProperty("node").GetString());
        Assert.Equal(seeded.Idle.CreatedAt, first.GetProperty("created_at").GetDateTimeOffset());
        Assert.Equal(seeded.Idle.ExpiresAt, first.GetProperty("expires_at").GetDateTimeOffset());
        Assert.InRange(first.GetProperty("idle_seconds").GetDouble(), 1199, 1260);
        Assert.InRange(first.GetProperty("expires_in_seconds").GetDouble(), 1700, 1800);
        Assert.Equal(2, first.GetProperty("data_keys").GetInt32());
        Assert.False(json.TryGetProperty("data", out var data) && data.ValueKind != System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task List_filters_by_user_node_and_idle_time_limits_rows_and_prints_a_table()
    {
        var prefix = NewPrefix();
        var seeded = await SeedAsync(prefix);

        var byUser = await CliAsync(prefix, "list", "--user", "user7", "--json");
        var byNode = await CliAsync(prefix, "list", "--node", "web-2", "--json");
        var idle = await CliAsync(prefix, "list", "--idle-over", "10m", "--json", "--data");
        var limited = await CliAsync(prefix, "list", "--limit", "3", "--json");
        var table = await CliAsync(prefix, "list", "--idle-over", "10m");
        var none = await CliAsync(prefix, "list", "--user", "nobody");

        Assert.True(byUser.ExitCode == 0, byUser.ToString());
        Assert.Equal(new[] { seeded.Web1[7].SessionId, seeded.Web2[7].SessionId }.Order(StringComparer.Ordinal),
            byUser.Json().GetProperty("sessions").EnumerateArray().Select(r => r.GetProperty("session_id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(seeded.Web2.Select(s => s.SessionId).Order(StringComparer.Ordinal),
            byNode.Json().GetProperty("sessions").EnumerateArray().Select(r => r.GetProperty("session_id").GetString()!).Order(StringComparer.Ordinal));
        var idleJson = idle.Json();
        Assert.Equal([seeded.Idle.SessionId], idleJson.GetProperty("sessions").EnumerateArray().Select(r => r.GetProperty("session_id").GetString()));
        Assert.Equal("dark", idleJson.GetProperty("data").GetProperty(seeded.Idle.SessionId).GetProperty("theme").GetString());
        Assert.Equal(3, limited.Json().GetProperty("count").GetInt32());
        Assert.Equal(25, limited.Json().GetProperty("matched").GetInt32());

        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^SESSION\s+USER\s+NODE\s+CREATED\s+LAST ACTIVITY\s+IDLE\s+EXPIRES IN\s+DATA$", lines[0]);
        Assert.Matches($@"^{seeded.Idle.SessionId}\s+carol\s+web-1\s+\S+ \S+Z\s+\S+ \S+Z\s+20m \d\ds\s+(29|30)m \d\ds\s+2$", lines[1]);
        Assert.Equal("1 session(s).", lines[^1]);
        Assert.Equal(0, none.ExitCode);
        Assert.Equal("No active session matches.", none.Stdout.Trim());
    }

    [Fact]
    public async Task Stats_counts_sessions_per_node_names_the_most_idle_and_lists_listeners()
    {
        var prefix = NewPrefix();
        var seeded = await SeedAsync(prefix);
        var now = await RedisNowAsync();
        var workers = Enumerable.Range(0, 6).Select(i => $"worker-{i}").ToList();
        foreach (var worker in workers)
        {
            await Db.HashSetAsync($"{prefix}:heartbeat:{worker}", [new("node", worker), new("host", "box"), new("pid", "42"), new("started", now - 60_000), new("last", now - 2_000)]);
        }
        if (IsCluster)
        {
            Assert.True(workers.Select(w => Db.IdentifyEndpoint($"{prefix}:heartbeat:{w}")?.ToString()).Distinct().Count() > 1);
        }

        var json = await CliAsync(prefix, "stats", "--json");
        var table = await CliAsync(prefix, "stats");
        var quick = await CliAsync(prefix, "stats", "--no-walk", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        var report = json.Json();
        Assert.Equal(25, report.GetProperty("active_sessions").GetInt64());
        Assert.Equal(13, report.GetProperty("unique_users").GetInt64());
        Assert.Equal(1, report.GetProperty("overdue_sessions").GetInt64());
        Assert.Equal(1, report.GetProperty("pending_terminations").GetInt64());
        Assert.Equal(13, report.GetProperty("sessions_per_node").GetProperty("web-1").GetInt64());
        Assert.Equal(12, report.GetProperty("sessions_per_node").GetProperty("web-2").GetInt64());
        Assert.Equal(seeded.Idle.SessionId, report.GetProperty("most_idle_session").GetProperty("session_id").GetString());
        Assert.Equal(workers, report.GetProperty("listeners").EnumerateArray().Select(l => l.GetProperty("node").GetString()!));
        Assert.InRange(report.GetProperty("listeners")[0].GetProperty("seconds_since_last_seen").GetDouble(), 2, 15);

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"Active sessions\s+25", table.Stdout);
        Assert.Matches(@"Unique users\s+13", table.Stdout);
        Assert.Matches(@"Sessions past their time, not yet ended\s+1", table.Stdout);
        Assert.Matches(@"Terminations pending for listeners\s+1", table.Stdout);
        Assert.Contains($"Most idle session: {seeded.Idle.SessionId} (user carol, node web-1), idle 20m", table.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"web-1\s+13", table.Stdout);
        Assert.Matches(@"worker-0\s+box\s+42\s+", table.Stdout);

        Assert.False(quick.Json().GetProperty("walked").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, quick.Json().GetProperty("sessions_per_node").ValueKind);
        Assert.Equal(25, quick.Json().GetProperty("active_sessions").GetInt64());
    }

    [Fact]
    public async Task An_empty_store_lists_nothing_and_counts_zero()
    {
        var prefix = NewPrefix();

        var list = await CliAsync(prefix, "list");
        var stats = await CliAsync(prefix, "stats");

        Assert.Equal(0, list.ExitCode);
        Assert.Equal("No active session matches.", list.Stdout.Trim());
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Matches(@"Active sessions\s+0", stats.Stdout);
        Assert.Contains("Most idle session: none", stats.Stdout, StringComparison.Ordinal);
        Assert.Contains("Listener heartbeats: none", stats.Stdout, StringComparison.Ordinal);
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneListAndStatsTests(StandaloneRedisFixture redis) : ListAndStatsTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterListAndStatsTests(ClusterRedisFixture redis) : ListAndStatsTests(redis);
