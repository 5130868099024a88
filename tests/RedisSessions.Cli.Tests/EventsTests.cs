using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class EventsTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    /// <summary>Terminates a session with the CLI and lets a listener with a callback handle it (which appends the event).</summary>
    private async Task<string> TerminateAndHandleAsync(string prefix, SessionManager app, SessionManager listener, string user)
    {
        var session = await app.CreateSessionAsync(user);
        var result = await CliAsync(prefix, "terminate", session.SessionId);
        Assert.True(result.ExitCode == 0, result.ToString());
        await listener.CleanupInactiveSessionsAsync();
        return session.SessionId;
    }

    [Fact]
    public async Task Events_prints_the_termination_stream_as_a_table_and_as_json_lines()
    {
        var prefix = NewPrefix();
        await using var app = NewManager(prefix, "web-1");
        await using var listener = NewManager(prefix, "worker-1");
        using var registration = listener.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        var first = await TerminateAndHandleAsync(prefix, app, listener, "olga");
        var second = await TerminateAndHandleAsync(prefix, app, listener, "pete");

        var table = await CliAsync(prefix, "events");
        var json = await CliAsync(prefix, "events", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^TIME\s+REASON\s+SESSION\s+USER\s+NODE\s+HANDLED BY$", lines[0]);
        Assert.Matches($@"admin\s+{first}\s+olga\s+web-1\s+worker-1$", lines[1]);
        Assert.Matches($@"admin\s+{second}\s+pete\s+web-1\s+worker-1$", lines[2]);

        Assert.True(json.ExitCode == 0, json.ToString());
        var events = json.JsonLines();
        Assert.Equal([first, second], events.Select(e => e.GetProperty("session_id").GetString()));
        Assert.All(events, e => Assert.Equal("admin", e.GetProperty("reason").GetString()));
        Assert.Equal("olga", events[0].GetProperty("user_id").GetString());
        Assert.Equal("worker-1", events[0].GetProperty("handled_by").GetString());
        Assert.True(events[0].GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        var newest = await CliAsync(prefix, "events", "--count", "1", "--json");
        Assert.Equal([second], newest.JsonLines().Select(e => e.GetProperty("session_id").GetString()));
    }

    [Fact]
    public async Task Events_follow_prints_new_terminations_as_they_arrive()
    {
        var prefix = NewPrefix();
        await using var app = NewManager(prefix, "web-1");
        await using var listener = NewManager(prefix, "worker-1");
        using var registration = listener.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        var earlier = await TerminateAndHandleAsync(prefix, app, listener, "quinn");

        using var follower = CliRunner.Start("events", "--follow", "--json", "--count", "1", "--poll-interval", "50ms", "--redis", Redis.Configuration, "--prefix", prefix);
        // The newest event is printed first: the follower has read the stream and is now polling.
        await Eventually.TrueAsync(() => follower.Lines.Any(l => l.Contains(earlier, StringComparison.Ordinal)) || follower.HasExited, "the follower printed the newest event");
        Assert.False(follower.HasExited, follower.ToString());

        var later = await TerminateAndHandleAsync(prefix, app, listener, "rita");

        await Eventually.TrueAsync(() => follower.Lines.Any(l => l.Contains(later, StringComparison.Ordinal)), $"the follower printed the event of {later}: {follower}");
        Assert.Equal(2, follower.Lines.Count);
        Assert.Equal("rita", System.Text.Json.JsonDocument.Parse(follower.Lines[1]).RootElement.GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task Events_of_an_empty_stream_says_so()
    {
        var result = await CliAsync(NewPrefix(), "events");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("(no termination events in ", result.Stdout, StringComparison.Ordinal);
        var json = await CliAsync(NewPrefix(), "events", "--json");
        Assert.Equal(string.Empty, json.Stdout);
    }
}
