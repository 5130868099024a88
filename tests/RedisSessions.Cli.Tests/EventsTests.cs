using System.Diagnostics;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

public abstract class EventsTests(RedisFixture redis) : CliTestBase(redis)
{
    /// <summary>Ends <paramref name="count"/> sessions through a manager with a callback: each one's line is in the
    /// stream once its callback ran.</summary>
    private static async Task<List<Session>> EndSessionsAsync(SessionManager manager, int count, string user)
    {
        var ended = new List<Session>();
        for (var i = 0; i < count; i++)
        {
            var session = await manager.CreateSessionAsync($"{user}{i}");
            Assert.True(await manager.TerminateSessionAsync(session.SessionId));
            ended.Add(session);
        }
        return ended;
    }

    [Fact]
    public async Task Events_prints_the_newest_as_a_table_or_json_lines()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, "web-4");
        using var _ = manager.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        var empty = await CliAsync(prefix, "events");
        var ended = await EndSessionsAsync(manager, 3, "ola");

        var table = await CliAsync(prefix, "events", "--count", "2");
        var json = await CliAsync(prefix, "events", "-n", "5", "--json");

        Assert.True(empty.ExitCode == 0, empty.ToString());
        Assert.Contains($"(no termination events in {prefix}:events)", empty.Stdout, StringComparison.Ordinal);
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^TIME\s+REASON\s+SESSION\s+USER\s+NODE\s+HANDLED BY$", lines[0]);
        Assert.Matches($@"^\S+ \S+Z\s+terminated\s+{ended[1].SessionId}\s+ola1\s+web-4\s+web-4$", lines[1]);
        Assert.Contains(ended[2].SessionId, lines[2], StringComparison.Ordinal);

        Assert.True(json.ExitCode == 0, json.ToString());
        var events = json.JsonLines();
        Assert.Equal(ended.Select(s => s.SessionId), events.Select(e => e.GetProperty("session_id").GetString()));
        Assert.Equal(("ola0", "terminated", "web-4", "web-4", 1L), (events[0].GetProperty("user_id").GetString(), events[0].GetProperty("reason").GetString(),
            events[0].GetProperty("node").GetString(), events[0].GetProperty("handled_by").GetString(), events[0].GetProperty("attempt").GetInt64()));
        Assert.Equal(ended[0].CreatedAt, events[0].GetProperty("created_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Events_follow_prints_new_events_as_they_come_and_ctrl_c_ends_it_with_0()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, "web-5");
        using var _ = manager.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        var before = await EndSessionsAsync(manager, 1, "pam");

        using var follow = CliRunner.Start("events", "--follow", "--json", "--count", "1", "--poll-interval", "50ms", "--redis", Redis.Configuration, "--prefix", prefix);
        await Eventually.TrueAsync(() => follow.Lines.Count >= 1, "the newest event is printed", TimeSpan.FromSeconds(30), follow.ToString);
        var later = await EndSessionsAsync(manager, 2, "quin");
        await Eventually.TrueAsync(() => follow.Lines.Count >= 3, "the new events are printed", TimeSpan.FromSeconds(30), follow.ToString);

        Assert.Equal(before.Concat(later).Select(s => s.SessionId), follow.Lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("session_id").GetString()));
        Assert.Equal(0, await follow.InterruptAsync());
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneEventsTests(StandaloneRedisFixture redis) : EventsTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterEventsTests(ClusterRedisFixture redis) : EventsTests(redis);
