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
        Assert.InRange(json.GetProperty("timer_key_ttl_seconds").GetDouble(), 3500, 3600);
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
        Assert.Matches(@"Timer key TTL\s+(59m|1h)", result.Stdout);
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
        var timerKey = Key(prefix, session.SessionId, "timer");
        var before = await Db.HashGetAsync(sessionKey, ["last", "expires"]);
        var timerBefore = await Db.KeyTimeToLiveAsync(timerKey);
        var scoreBefore = await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "expiry"), session.SessionId);

        Assert.Equal(0, (await CliAsync(prefix, "show", session.SessionId)).ExitCode);
        Assert.Equal(0, (await CliAsync(prefix, "show", session.SessionId, "--json")).ExitCode);

        var after = await Db.HashGetAsync(sessionKey, ["last", "expires"]);
        Assert.Equal(before, after);
        Assert.True(await Db.KeyTimeToLiveAsync(timerKey) <= timerBefore, "the timer's TTL grew: show extended the session");
        Assert.Equal(scoreBefore, await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "expiry"), session.SessionId));
        // A session last used 5 minutes ago still shows 5 minutes of idleness.
        var json = (await CliAsync(prefix, "show", session.SessionId, "--json")).Json();
        Assert.InRange(json.GetProperty("idle_seconds").GetDouble(), 290, 400);
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
