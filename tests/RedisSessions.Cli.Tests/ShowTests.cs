using System.Text.RegularExpressions;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class ShowTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    private static readonly Dictionary<string, string> Data = new()
    {
        ["cart"] = "3 items",
        ["note"] = "line one\nline two\u001b[31m",
    };

    [Fact]
    public async Task Show_json_has_every_field_data_and_ttls()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, "web-7", configure: o => o.AbsoluteTimeout = TimeSpan.FromHours(8));
        var session = await manager.CreateSessionAsync("carol", Data);

        var result = await CliAsync(prefix, "show", session.SessionId, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(session.SessionId, json.GetProperty("session_id").GetString());
        Assert.Equal("carol", json.GetProperty("user_id").GetString());
        Assert.Equal("web-7", json.GetProperty("node").GetString());
        Assert.Equal(session.CreatedAt, json.GetProperty("created_at").GetDateTimeOffset());
        Assert.Equal(session.LastActivity, json.GetProperty("last_activity").GetDateTimeOffset());
        Assert.Equal(session.ExpiresAt, json.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(session.AbsoluteExpiresAt, json.GetProperty("absolute_expires_at").GetDateTimeOffset());
        Assert.Equal(3600, json.GetProperty("idle_timeout_seconds").GetDouble());
        Assert.InRange(json.GetProperty("expires_in_seconds").GetDouble(), 3500, 3600);
        // The only session of its bucket: the bucket's due key fires (waking a sweep) when it expires.
        Assert.InRange(json.GetProperty("due_key_ttl_seconds").GetDouble(), 3500, 3600);
        Assert.InRange(json.GetProperty("session_key_ttl_seconds").GetDouble(), 3600 + 86_000, 3600 + 86_400);
        var data = json.GetProperty("data");
        Assert.Equal("3 items", data.GetProperty("cart").GetString());
        Assert.Equal("line one\nline two\u001b[31m", data.GetProperty("note").GetString());
    }

    [Fact]
    public async Task Show_table_lists_fields_and_escapes_data_for_the_terminal()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("carol", Data);

        var result = await CliAsync(prefix, "show", session.SessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches($@"Session\s+{session.SessionId}", result.Stdout);
        Assert.Matches(@"User\s+carol", result.Stdout);
        Assert.Matches(@"Idle timeout\s+1h 00m", result.Stdout);
        Assert.Matches(@"Expires in\s+(59m|1h)", result.Stdout);
        Assert.Matches(@"Session key TTL\s+1d 0?[01]h", result.Stdout);
        Assert.Matches($@"Bucket sweep due in\s+(59m|1h)\S* \S* \({Regex.Escape(BucketKey(prefix, session.SessionId, "due"))}: its expiry wakes a sweep", result.Stdout);
        Assert.Contains("Data (2 key(s)):", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"cart\s+3 items", result.Stdout);
        Assert.Contains(@"line one\nline two\u001b[31m", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', result.Stdout);
    }

    [Fact]
    public async Task Show_is_a_peek_it_never_extends_the_session()
    {
        var prefix = NewPrefix();
        await using var past = NewManager(prefix, clock: new ShiftedClock(TimeSpan.FromMinutes(-5)));
        var session = await past.CreateSessionAsync("dave");
        var sessionKey = Key(prefix, session.SessionId, "session");
        var before = await Db.HashGetAsync(sessionKey, ["e", "l"]);
        var ttlBefore = await Db.KeyTimeToLiveAsync(sessionKey);
        var scoreBefore = await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "expiry"), "dave");

        Assert.Equal(0, (await CliAsync(prefix, "show", session.SessionId)).ExitCode);
        Assert.Equal(0, (await CliAsync(prefix, "show", session.SessionId, "--json")).ExitCode);

        var after = await Db.HashGetAsync(sessionKey, ["e", "l"]);
        Assert.Equal(before, after);
        Assert.True(await Db.KeyTimeToLiveAsync(sessionKey) <= ttlBefore, "the session key's TTL grew: show extended the session");
        Assert.Equal(scoreBefore, await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "expiry"), "dave"));
        // A session last used 5 minutes ago still shows 5 minutes of idleness, and 55 minutes left.
        var json = (await CliAsync(prefix, "show", session.SessionId, "--json")).Json();
        Assert.InRange(json.GetProperty("idle_seconds").GetDouble(), 290, 400);
        Assert.InRange(json.GetProperty("expires_in_seconds").GetDouble(), 3200, 3310);
    }

    [Fact]
    public async Task Show_takes_the_idle_timeout_from_the_node_registry_the_option_overrides_it_and_config_is_the_fallback()
    {
        var prefix = NewPrefix();
        await using var past = NewManager(prefix, clock: new ShiftedClock(TimeSpan.FromMinutes(-5)));
        var session = await past.CreateSessionAsync("dave");

        Task<CliResult> Show(Dictionary<string, string>? environment, params string[] extra) =>
            CliRunner.RunAsync(new CliRun(["show", session.SessionId, "--json", "--redis", Redis.Configuration, "--prefix", prefix, .. extra])
            {
                Environment = environment ?? [],
            });
        var wrongConfig = new Dictionary<string, string> { ["RedisSessions__InactiveTimeout"] = "00:10:00" };

        // The creating manager registered its 1h timeout: a configured 10 minutes doesn't change what show reports.
        var fromRegistry = await Show(wrongConfig);
        Assert.True(fromRegistry.ExitCode == 0, fromRegistry.ToString());
        Assert.Equal(3600, fromRegistry.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.Equal("node", fromRegistry.Json().GetProperty("idle_timeout_source").GetString());
        Assert.Equal(session.LastActivity, fromRegistry.Json().GetProperty("last_activity").GetDateTimeOffset());
        Assert.InRange(fromRegistry.Json().GetProperty("idle_seconds").GetDouble(), 290, 400);

        // --inactive-timeout wins over the registry. A timeout that isn't the application's shows another last activity:
        // the hash stores the expiry, not the activity (expiry - 30m lies before the creation: clamped to it).
        var overridden = await Show(wrongConfig, "--inactive-timeout", "30m");
        Assert.True(overridden.ExitCode == 0, overridden.ToString());
        Assert.Equal(1800, overridden.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.Equal("option", overridden.Json().GetProperty("idle_timeout_source").GetString());
        Assert.Equal(session.ExpiresAt, overridden.Json().GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(0, overridden.Json().GetProperty("idle_seconds").GetDouble());
        var overriddenTable = await CliRunner.RunAsync(["show", session.SessionId, "--redis", Redis.Configuration, "--prefix", prefix, "--inactive-timeout", "30m"]);
        Assert.Matches(@"Idle timeout\s+30m 00s \(--inactive-timeout\)", overriddenTable.Stdout);

        // A node with no idle: entry (data from before the registry kept it, or a registry deleted by hand): the
        // configured RedisSessions:InactiveTimeout, else 30 minutes.
        var nodeId = (string)(await Db.HashGetAsync($"{prefix}:nodes", "=web-1"))!;
        Assert.True(await Db.HashDeleteAsync($"{prefix}:nodes", "idle:" + nodeId));
        var fromConfig = await Show(new Dictionary<string, string> { ["RedisSessions__InactiveTimeout"] = "01:00:00" });
        Assert.True(fromConfig.ExitCode == 0, fromConfig.ToString());
        Assert.Equal(3600, fromConfig.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.Equal("default", fromConfig.Json().GetProperty("idle_timeout_source").GetString());
        Assert.InRange(fromConfig.Json().GetProperty("idle_seconds").GetDouble(), 290, 400);
        var fromDefault = await Show(null);
        Assert.Equal(1800, fromDefault.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.Equal(0, fromDefault.Json().GetProperty("idle_seconds").GetDouble());
        var defaultTable = await CliRunner.RunAsync(["show", session.SessionId, "--redis", Redis.Configuration, "--prefix", prefix]);
        Assert.Matches(@"Idle timeout\s+30m 00s \(the node registered none", defaultTable.Stdout);
    }

    [Fact]
    public async Task Show_and_list_use_the_timeout_each_creating_manager_used()
    {
        // Two applications sharing the prefix with different timeouts; the CLI is given neither.
        var prefix = NewPrefix();
        await using var slow = NewManager(prefix, "web-slow", new ShiftedClock(TimeSpan.FromMinutes(-20)), o => o.InactiveTimeout = TimeSpan.FromHours(2));
        await using var quick = NewManager(prefix, "web-quick", new ShiftedClock(TimeSpan.FromMinutes(-5)), o => o.InactiveTimeout = TimeSpan.FromMinutes(10));
        var idle20 = await slow.CreateSessionAsync("frank");
        var idle5 = await quick.CreateSessionAsync("frank");

        var slowShow = await CliAsync(prefix, "show", idle20.SessionId, "--json");
        Assert.True(slowShow.ExitCode == 0, slowShow.ToString());
        Assert.Equal(7200, slowShow.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.Equal(idle20.LastActivity, slowShow.Json().GetProperty("last_activity").GetDateTimeOffset());
        Assert.InRange(slowShow.Json().GetProperty("idle_seconds").GetDouble(), 19 * 60, 21 * 60);
        var quickShow = await CliAsync(prefix, "show", idle5.SessionId);
        Assert.Matches(@"Idle timeout\s+10m 00s \(the creating node's InactiveTimeout\)", quickShow.Stdout);
        Assert.Matches(@"Last activity\s+\S+ \S+ \([45]m \d\ds ago\)", quickShow.Stdout);

        // The walk (no --user) and the user's index (--user) both derive each row's last activity from its own node.
        foreach (var filter in new[] { Array.Empty<string>(), ["--user", "frank"] })
        {
            var list = await CliAsync(prefix, ["list", "--json", .. filter]);
            Assert.True(list.ExitCode == 0, list.ToString());
            var rows = list.Json().GetProperty("sessions").EnumerateArray().ToList();
            Assert.Equal([idle20.SessionId, idle5.SessionId], rows.Select(r => r.GetProperty("session_id").GetString()));
            Assert.Equal(idle20.LastActivity, rows[0].GetProperty("last_activity").GetDateTimeOffset());
            Assert.Equal(idle5.LastActivity, rows[1].GetProperty("last_activity").GetDateTimeOffset());
            Assert.InRange(rows[1].GetProperty("idle_seconds").GetDouble(), 4 * 60, 6 * 60);

            var idleOver = await CliAsync(prefix, ["list", "--idle-over", "10m", "--json", .. filter]);
            Assert.Equal([idle20.SessionId], idleOver.Json().GetProperty("sessions").EnumerateArray().Select(r => r.GetProperty("session_id").GetString()));
        }
        var stats = await CliAsync(prefix, "stats", "--json");
        Assert.Equal(idle20.SessionId, stats.Json().GetProperty("most_idle_session").GetProperty("session_id").GetString());

        // One timeout for all (--inactive-timeout 30m) gets both wrong: neither looks idle for 10 minutes.
        var overridden = await CliAsync(prefix, "list", "--idle-over", "10m", "--json", "--inactive-timeout", "30m");
        Assert.Equal(0, overridden.Json().GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Show_of_an_unknown_id_exits_1_with_one_line()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var real = await manager.CreateSessionAsync("erin");
        var unknown = FakeIdBeside(real.SessionId, 'Q');

        foreach (var id in new[] { unknown, "not-a-session-id" })
        {
            var result = await CliAsync(prefix, "show", id);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Equal(string.Empty, result.Stdout);
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"redis-sessions: no session {id}", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Show_of_a_terminated_session_exits_1_and_says_it_ended()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("erin");
        await manager.TerminateSessionAsync(session.SessionId);

        var result = await CliAsync(prefix, "show", session.SessionId);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no session {session.SessionId}: it ended (terminated", result.Stderr, StringComparison.Ordinal);
    }
}
