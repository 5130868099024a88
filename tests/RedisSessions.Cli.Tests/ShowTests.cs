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
    public async Task Show_derives_last_activity_from_the_configured_inactive_timeout()
    {
        var prefix = NewPrefix();
        await using var past = NewManager(prefix, clock: new ShiftedClock(TimeSpan.FromMinutes(-5)));
        var session = await past.CreateSessionAsync("dave");

        // Without --inactive-timeout the CLI reads RedisSessions:InactiveTimeout, as the application does.
        var fromEnvironment = await CliRunner.RunAsync(new CliRun(["show", session.SessionId, "--json", "--redis", Redis.Configuration, "--prefix", prefix])
        {
            Environment = { ["RedisSessions__InactiveTimeout"] = "01:00:00" },
        });
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Equal(3600, fromEnvironment.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.InRange(fromEnvironment.Json().GetProperty("idle_seconds").GetDouble(), 290, 400);

        // A timeout that isn't the application's shows another last activity: the hash stores the expiry, not the activity.
        var wrong = await CliRunner.RunAsync(["show", session.SessionId, "--json", "--redis", Redis.Configuration, "--prefix", prefix, "--inactive-timeout", "30m"]);
        Assert.True(wrong.ExitCode == 0, wrong.ToString());
        Assert.Equal(1800, wrong.Json().GetProperty("idle_timeout_seconds").GetDouble());
        Assert.Equal(session.ExpiresAt, wrong.Json().GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(0, wrong.Json().GetProperty("idle_seconds").GetDouble());
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
