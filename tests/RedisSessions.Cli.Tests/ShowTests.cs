using System.Text.RegularExpressions;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

public abstract class ShowTests(RedisFixture redis) : CliTestBase(redis)
{
    private static readonly Dictionary<string, string> Data = new()
    {
        ["cart"] = "3 items",
        ["note"] = "line one\nline two\u001b[31m",
    };

    [Fact]
    public async Task Show_json_has_every_field_as_stored_its_ttl_and_its_index_entries()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, "web-7", o => o.AbsoluteTimeout = TimeSpan.FromHours(8));
        var session = await manager.CreateSessionAsync("carol", Data);

        var result = await CliAsync(prefix, "show", session.SessionId, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.Equal(session.SessionId, json.GetProperty("session_id").GetString());
        Assert.Equal("active", json.GetProperty("status").GetString());
        Assert.Equal("carol", json.GetProperty("user_id").GetString());
        Assert.Equal("web-7", json.GetProperty("node").GetString());
        Assert.Equal(session.CreatedAt, json.GetProperty("created_at").GetDateTimeOffset());
        Assert.Equal(session.LastActivity, json.GetProperty("last_activity").GetDateTimeOffset());
        Assert.Equal(session.ExpiresAt, json.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(session.AbsoluteExpiresAt, json.GetProperty("absolute_expires_at").GetDateTimeOffset());
        Assert.InRange(json.GetProperty("expires_in_seconds").GetDouble(), 1700, 1800);
        // The hash lives until its expiry plus ExpiredSessionGrace (10 minutes).
        Assert.InRange(json.GetProperty("session_key_ttl_seconds").GetDouble(), 2300, 2400);
        Assert.Equal(session.ExpiresAt.AddMinutes(10), json.GetProperty("session_key_expires_at").GetDateTimeOffset());
        var fields = json.GetProperty("fields").EnumerateObject().Select(f => f.Name).ToList();
        Assert.Equal(["user", "created", "last", "absolute", "expires", "node", "d:cart", "d:note"], fields);
        Assert.Equal(session.ExpiresAt.ToUnixTimeMilliseconds().ToString(), json.GetProperty("fields").GetProperty("expires").GetString());
        Assert.Equal("line one\nline two\u001b[31m", json.GetProperty("data").GetProperty("note").GetString());
        Assert.Equal(TestKeys.UserKey(prefix, session.SessionId, "carol"), json.GetProperty("user_index_key").GetString());
        Assert.InRange(json.GetProperty("user_index_score").GetDouble(), session.ExpiresAt.ToUnixTimeMilliseconds(), session.ExpiresAt.ToUnixTimeMilliseconds() + 1);
        Assert.Equal(json.GetProperty("user_index_score").GetDouble(), json.GetProperty("due_index_score").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("pending_score").ValueKind);
        Assert.Equal(session.ExpiresAt, json.GetProperty("wake_at").GetDateTimeOffset());
        Assert.Equal("1", json.GetProperty("counter").GetString());
        var commands = json.GetProperty("redis_cli").EnumerateArray().Select(c => c.GetProperty("command").GetString()!).ToList();
        Assert.Contains($"HGETALL '{TestKeys.SessionKey(prefix, session.SessionId)}'", commands);
        Assert.Contains($"ZSCORE '{TestKeys.TagKey(prefix, session.SessionId, "due")}' 'carol'", commands);
    }

    [Fact]
    public async Task Show_table_lists_fields_indexes_data_escaped_and_the_redis_cli_view()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("carol", Data);
        await BackdateActivityAsync(prefix, session.SessionId, TimeSpan.FromMinutes(5));

        var result = await CliAsync(prefix, "show", session.SessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        var output = result.Stdout;
        Assert.Matches($@"Session\s+{session.SessionId}", output);
        Assert.Matches(@"Status\s+active", output);
        Assert.Matches(@"User\s+carol", output);
        Assert.Matches(@"Last activity\s+\S+ \S+Z \(5m \d\ds ago\)", output);
        Assert.Matches(@"Expires at\s+\S+ \S+Z \(in (29|30)m \d\ds\)", output);
        Assert.Matches(@"Session key TTL\s+(39|40)m \d\ds \(deleted at .*expiry \+ ExpiredSessionGrace\)", output);
        Assert.Matches($@"User index\s+listed in {Regex.Escape(TestKeys.UserKey(prefix, session.SessionId, "carol"))} \(score \d+", output);
        Assert.Matches($@"Due index\s+carol due at \d+\S* in {Regex.Escape(TestKeys.TagKey(prefix, session.SessionId, "due"))}: the user's earliest expiry", output);
        Assert.Matches(@"Pending\s+not in ", output);
        Assert.Matches($@"Wake key\s+{Regex.Escape(TestKeys.TagKey(prefix, session.SessionId, "wake"))} expires in (29|30)m", output);
        Assert.Matches(@"Tag counter\s+\S+ = 1", output);
        Assert.Contains("Data (2 key(s)):", output, StringComparison.Ordinal);
        Assert.Matches(@"cart\s+3 items", output);
        Assert.Contains(@"line one\nline two\u001b[31m", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
        Assert.Contains("redis-cli view:", output, StringComparison.Ordinal);
        Assert.Matches($@"PTTL '{Regex.Escape(TestKeys.SessionKey(prefix, session.SessionId))}'\s+\(integer\) \d+", output);
        Assert.Matches($@"GET '{Regex.Escape(TestKeys.TagKey(prefix, session.SessionId, "sessions"))}'\s+""1""", output);
    }

    [Fact]
    public async Task Show_is_a_peek_it_never_extends_the_session()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("dave");
        await BackdateActivityAsync(prefix, session.SessionId, TimeSpan.FromMinutes(5));
        var before = await Redis.DumpAsync(prefix);
        var ttlBefore = await Db.KeyTimeToLiveAsync(TestKeys.SessionKey(prefix, session.SessionId));

        Assert.Equal(0, (await CliAsync(prefix, "show", session.SessionId)).ExitCode);
        var json = (await CliAsync(prefix, "show", session.SessionId, "--json")).Json();

        Assert.Equal(before, await Redis.DumpAsync(prefix));
        Assert.True(await Db.KeyTimeToLiveAsync(TestKeys.SessionKey(prefix, session.SessionId)) <= ttlBefore, "show extended the session");
        Assert.InRange(json.GetProperty("idle_seconds").GetDouble(), 299, 360);
    }

    [Fact]
    public async Task Show_of_an_ended_session_prints_its_termination_and_exits_1()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("erin", Data);
        Assert.True(await manager.TerminateSessionAsync(session.SessionId));

        var table = await CliAsync(prefix, "show", session.SessionId);
        var json = await CliAsync(prefix, "show", session.SessionId, "--json");

        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Matches(@"Status\s+ended: the hash is the termination's snapshot", table.Stdout);
        Assert.Matches(@"Ended\s+\S+ \S+Z \(\S+ ago\), reason terminated", table.Stdout);
        Assert.Matches(@"Termination\s+ready for any handler \(attempt 0\)", table.Stdout);
        Assert.Matches(@"Session key TTL\s+(23h \d\dm|1d 0h) .*TerminatedSessionRetention", table.Stdout);
        Assert.Matches(@"User index\s+not listed in \S+ \(right: it ended\)", table.Stdout);
        Assert.Matches(@"Pending\s+in \S+, score 0: ready for any handler", table.Stdout);
        var line = Assert.Single(table.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"redis-sessions: session {session.SessionId} is not active: it ended (terminated, ", line, StringComparison.Ordinal);
        Assert.EndsWith("its termination waits for a handler.", line, StringComparison.Ordinal);

        Assert.Equal(1, json.ExitCode);
        var report = json.Json();
        Assert.Equal("ended", report.GetProperty("status").GetString());
        Assert.Equal("terminated", report.GetProperty("reason").GetString());
        Assert.Equal(0, report.GetProperty("attempt").GetInt64());
        Assert.Equal(0, report.GetProperty("pending_score").GetDouble());
        Assert.Equal("3 items", report.GetProperty("data").GetProperty("cart").GetString());
    }

    [Fact]
    public async Task Show_of_a_session_past_its_time_says_nothing_ended_it_and_exits_1()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, configure: o => o.InactiveTimeout = TimeSpan.FromMilliseconds(100));
        var session = await manager.CreateSessionAsync("fay");
        await RedisTime.WaitUntilAsync(Db, session.ExpiresAt);

        var result = await CliAsync(prefix, "show", session.SessionId);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"Status\s+past its time, not ended yet", result.Stdout);
        Assert.Contains($"session {session.SessionId} is not active: its time was up", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing has ended it yet (cleanup does)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_of_an_unknown_or_malformed_id_exits_1_with_one_line_and_prints_nothing()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var real = await manager.CreateSessionAsync("gus");

        foreach (var id in new[] { FakeIdBeside(real.SessionId, 'Q'), "not-a-session-id" })
        {
            foreach (var json in new[] { false, true })
            {
                var result = await CliAsync(prefix, json ? ["show", id, "--json"] : ["show", id]);
                Assert.True(result.ExitCode == 1, result.ToString());
                Assert.Equal(string.Empty, result.Stdout);
                var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith($"redis-sessions: no session {id}", line, StringComparison.Ordinal);
            }
        }
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneShowTests(StandaloneRedisFixture redis) : ShowTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterShowTests(ClusterRedisFixture redis) : ShowTests(redis);
