using RedisSessions.Administration;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

public abstract class TerminateTests(RedisFixture redis) : CliTestBase(redis)
{
    [Fact]
    public async Task Terminate_one_session_ends_it_with_reason_admin_and_leaves_it_for_a_listener()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("hal");
        var other = await manager.CreateSessionAsync("hal");

        var result = await CliAsync(prefix, "terminate", session.SessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Terminated session {session.SessionId} (reason admin).", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Their termination callbacks run in a listening process", result.Stdout, StringComparison.Ordinal);
        var seen = await Admin(manager).InspectSessionAsync(session.SessionId);
        Assert.Equal(SessionStatus.Ended, seen!.Status);
        Assert.Equal(("admin", 0.0), (seen.Reason, seen.PendingScore));
        Assert.NotNull(await manager.PeekSessionAsync(other.SessionId));

        // A process with callbacks runs it, once, with reason Admin.
        var reasons = new List<TerminationReason>();
        await using var listener = NewManager(prefix, "listener");
        using var _ = listener.RegisterTerminationCallback((t, _) => { lock (reasons) { reasons.Add(t.Reason); } return Task.CompletedTask; });
        await listener.CleanupInactiveSessionsAsync();
        Assert.Equal([TerminationReason.Admin], reasons);

        var again = await CliAsync(prefix, "terminate", session.SessionId);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Equal(string.Empty, again.Stdout);
        Assert.StartsWith($"redis-sessions: no session {session.SessionId}", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminate_a_user_s_sessions_but_one_and_a_node_s_sessions_with_json_reports()
    {
        var prefix = NewPrefix();
        await using var web1 = NewManager(prefix, "web-1");
        await using var web2 = NewManager(prefix, "web-2");
        var ida = new List<Session>();
        for (var i = 0; i < 3; i++)
        {
            ida.Add(await web1.CreateSessionAsync("ida"));
        }
        var onWeb2 = new List<Session>();
        var kept = new List<Session>();
        for (var i = 0; i < 9; i++)
        {
            onWeb2.Add(await web2.CreateSessionAsync($"jo{i}"));
            kept.Add(await web1.CreateSessionAsync($"jo{i}"));
        }

        var user = await CliAsync(prefix, "terminate", "--user", "ida", "--except", ida[1].SessionId, "--json");
        var node = await CliAsync(prefix, "terminate", "--node", "web-2");
        var nobody = await CliAsync(prefix, "terminate", "--user", "nobody", "--json");

        Assert.True(user.ExitCode == 0, user.ToString());
        var report = user.Json();
        Assert.Equal(("user", "ida", ida[1].SessionId, 2, "admin"), (report.GetProperty("target").GetString(), report.GetProperty("value").GetString(),
            report.GetProperty("except").GetString(), report.GetProperty("count").GetInt32(), report.GetProperty("reason").GetString()));
        Assert.Equal(new[] { ida[0].SessionId, ida[2].SessionId }.Order(StringComparer.Ordinal), report.GetProperty("sessions").EnumerateArray().Select(s => s.GetString()!));
        Assert.Equal([ida[1].SessionId], (await web1.GetUserSessionsAsync("ida")).Select(s => s.SessionId));

        Assert.True(node.ExitCode == 0, node.ToString());
        Assert.Contains("Terminated 9 session(s) of node web-2 (reason admin).", node.Stdout, StringComparison.Ordinal);
        foreach (var session in onWeb2)
        {
            Assert.Contains("  " + session.SessionId, node.Stdout, StringComparison.Ordinal);
            Assert.Null(await web1.PeekSessionAsync(session.SessionId));
        }
        foreach (var session in kept)
        {
            Assert.NotNull(await web1.PeekSessionAsync(session.SessionId));
        }

        Assert.Equal(0, nobody.ExitCode);
        Assert.Equal(0, nobody.Json().GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("terminate")]
    [InlineData("terminate", "--user", "a", "--node", "b")]
    [InlineData("terminate", "0a1QQQQQQQQQQQQQQQQQQQQQQ", "--user", "a")]
    [InlineData("terminate", "--except", "0a1QQQQQQQQQQQQQQQQQQQQQQ")]
    [InlineData("terminate", "--node", "")]
    public async Task Terminate_needs_exactly_one_target_else_exits_2_and_changes_nothing(params string[] arguments)
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        await manager.CreateSessionAsync("a");
        var before = await Redis.DumpAsync(prefix);

        var result = await CliAsync(prefix, arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(before, await Redis.DumpAsync(prefix));
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneTerminateTests(StandaloneRedisFixture redis) : TerminateTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterTerminateTests(ClusterRedisFixture redis) : TerminateTests(redis);
