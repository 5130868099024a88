using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class ListAndStatsTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    /// <summary>alice on web-1 idle for 20 minutes, alice on web-2 and bob on web-1 fresh, plus one listener heartbeat.</summary>
    private async Task<(string OldAlice, string NewAlice, string Bob)> SeedAsync(string prefix)
    {
        await using var past = NewManager(prefix, "web-1", new ShiftedClock(TimeSpan.FromMinutes(-20)));
        await using var web1 = NewManager(prefix, "web-1");
        await using var web2 = NewManager(prefix, "web-2");
        var oldAlice = await past.CreateSessionAsync("alice");
        var newAlice = await web2.CreateSessionAsync("alice", new Dictionary<string, string> { ["cart"] = "3 items" });
        var bob = await web1.CreateSessionAsync("bob");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Db.HashSetAsync($"{prefix}:heartbeat:worker-1", [new("node", "worker-1"), new("host", "host-a"), new("pid", "4242"), new("started", now - 60_000), new("last", now - 2_000)]);
        await Db.KeyExpireAsync($"{prefix}:heartbeat:worker-1", TimeSpan.FromMinutes(1));
        return (oldAlice.SessionId, newAlice.SessionId, bob.SessionId);
    }

    [Fact]
    public async Task List_json_has_one_row_per_session_most_idle_first()
    {
        var prefix = NewPrefix();
        var (oldAlice, newAlice, bob) = await SeedAsync(prefix);

        var result = await CliAsync(prefix, "list", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(3, json.GetProperty("count").GetInt32());
        var rows = json.GetProperty("sessions").EnumerateArray().ToList();
        Assert.Equal(oldAlice, rows[0].GetProperty("session_id").GetString());
        Assert.Equal(new[] { oldAlice, newAlice, bob }.Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("session_id").GetString()!).Order(StringComparer.Ordinal));
        var first = rows[0];
        Assert.Equal("alice", first.GetProperty("user_id").GetString());
        Assert.Equal("web-1", first.GetProperty("node").GetString());
        Assert.InRange(first.GetProperty("idle_seconds").GetDouble(), 19 * 60, 21 * 60);
        Assert.InRange(first.GetProperty("expires_in_seconds").GetDouble(), 39 * 60, 41 * 60);
        Assert.True(first.GetProperty("created_at").GetDateTimeOffset() < DateTimeOffset.UtcNow.AddMinutes(-19));
    }

    [Fact]
    public async Task List_filters_by_user_node_and_idle_time_and_limits_rows()
    {
        var prefix = NewPrefix();
        var (oldAlice, newAlice, bob) = await SeedAsync(prefix);

        static string[] Ids(CliResult r) => r.Json().GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("session_id").GetString()!).Order(StringComparer.Ordinal).ToArray();
        static string[] Sorted(params string[] ids) => ids.Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(Sorted(oldAlice, newAlice), Ids(await CliAsync(prefix, "list", "--user", "alice", "--json")));
        Assert.Equal(Sorted(oldAlice, bob), Ids(await CliAsync(prefix, "list", "--node", "web-1", "--json")));
        Assert.Equal(Sorted(oldAlice), Ids(await CliAsync(prefix, "list", "--idle-over", "10m", "--json")));
        Assert.Equal(Sorted(oldAlice), Ids(await CliAsync(prefix, "list", "--user", "alice", "--idle-over", "10m", "--json")));
        Assert.Empty(Ids(await CliAsync(prefix, "list", "--user", "nobody", "--json")));

        var limited = (await CliAsync(prefix, "list", "--limit", "1", "--json")).Json();
        Assert.Equal(1, limited.GetProperty("count").GetInt32());
        Assert.Equal(3, limited.GetProperty("matched").GetInt32());
        Assert.Equal(oldAlice, limited.GetProperty("sessions")[0].GetProperty("session_id").GetString());
    }

    [Fact]
    public async Task List_table_shows_a_header_and_a_row_per_session()
    {
        var prefix = NewPrefix();
        var (oldAlice, newAlice, bob) = await SeedAsync(prefix);

        var result = await CliAsync(prefix, "list");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^SESSION\s+USER\s+NODE\s+CREATED\s+LAST ACTIVITY\s+IDLE\s+EXPIRES IN$", lines[0]);
        Assert.StartsWith(oldAlice, lines[1], StringComparison.Ordinal);
        Assert.Matches(@"alice\s+web-1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", lines[1]);
        Assert.Contains(lines, l => l.StartsWith(newAlice, StringComparison.Ordinal) && l.Contains("web-2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith(bob, StringComparison.Ordinal));
        Assert.Equal("3 session(s).", lines[^1]);
        Assert.Equal(string.Empty, result.Stderr);
    }

    [Fact]
    public async Task List_of_an_empty_prefix_says_so()
    {
        var result = await CliAsync(NewPrefix(), "list");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("No active session matches.", result.Stdout.Trim());
    }

    [Fact]
    public async Task Stats_json_counts_sessions_users_nodes_and_names_the_most_idle_session_and_listeners()
    {
        var prefix = NewPrefix();
        var (oldAlice, _, _) = await SeedAsync(prefix);

        var result = await CliAsync(prefix, "stats", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(3, json.GetProperty("active_sessions").GetInt64());
        Assert.Equal(2, json.GetProperty("unique_users").GetInt64());
        Assert.Equal(0, json.GetProperty("overdue_sessions").GetInt64());
        Assert.Equal(2, json.GetProperty("sessions_per_node").GetProperty("web-1").GetInt64());
        Assert.Equal(1, json.GetProperty("sessions_per_node").GetProperty("web-2").GetInt64());
        Assert.Equal(oldAlice, json.GetProperty("most_idle_session").GetProperty("session_id").GetString());
        var listener = Assert.Single(json.GetProperty("listeners").EnumerateArray());
        Assert.Equal("worker-1", listener.GetProperty("node").GetString());
        Assert.Equal("host-a", listener.GetProperty("host").GetString());
        Assert.Equal("4242", listener.GetProperty("pid").GetString());
        Assert.InRange(listener.GetProperty("seconds_since_last_seen").GetDouble(), 1, 60);
    }

    [Fact]
    public async Task Stats_table_reads_like_a_report()
    {
        var prefix = NewPrefix();
        var (oldAlice, _, _) = await SeedAsync(prefix);

        var result = await CliAsync(prefix, "stats");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"Active sessions\s+3", result.Stdout);
        Assert.Matches(@"Unique users\s+2", result.Stdout);
        Assert.Contains($"Most idle session: {oldAlice} (user alice, node web-1), idle 20m", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"web-1\s+2", result.Stdout);
        Assert.Matches(@"web-2\s+1", result.Stdout);
        Assert.Matches(@"worker-1\s+host-a\s+4242", result.Stdout);
    }
}
