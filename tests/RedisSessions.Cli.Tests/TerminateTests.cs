using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class TerminateTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    [Fact]
    public async Task Terminate_leaves_a_pending_termination_that_a_listener_runs_once_with_reason_admin()
    {
        var prefix = NewPrefix();
        await using var app = NewManager(prefix);
        var session = await app.CreateSessionAsync("frank", new Dictionary<string, string> { ["role"] = "admin" });

        var result = await CliAsync(prefix, "terminate", session.SessionId);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Terminated session {session.SessionId} (reason admin).", result.Stdout, StringComparison.Ordinal);
        Assert.Null(await app.PeekSessionAsync(session.SessionId));
        // Left for the farm: a pending entry and the final snapshot, nobody's claim.
        Assert.NotNull(await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "pending"), session.SessionId));
        Assert.Equal("admin", (string?)await Db.HashGetAsync(Key(prefix, session.SessionId, "ended"), "reason"));
        Assert.Equal(string.Empty, (string?)await Db.HashGetAsync(Key(prefix, session.SessionId, "ended"), "claimed_by"));

        // A process with a callback picks it up, once.
        await using var listener = NewManager(prefix, "worker-1");
        var seen = new List<SessionTermination>();
        using var registration = listener.RegisterTerminationCallback((t, _) =>
        {
            lock (seen)
            {
                seen.Add(t);
            }
            return Task.CompletedTask;
        });
        await listener.CleanupInactiveSessionsAsync();
        await listener.CleanupInactiveSessionsAsync();

        var termination = Assert.Single(seen);
        Assert.Equal(TerminationReason.Admin, termination.Reason);
        Assert.Equal(session.SessionId, termination.Session.SessionId);
        Assert.Equal("frank", termination.Session.UserId);
        Assert.Equal("admin", termination.Session.GetData("role"));
        Assert.Null(await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "pending"), session.SessionId));
    }

    [Fact]
    public async Task A_running_listener_gets_the_cli_termination_once_with_reason_admin()
    {
        var prefix = NewPrefix();
        await using var app = NewManager(prefix);
        var session = await app.CreateSessionAsync("fiona");
        var seen = new List<SessionTermination>();
        // A farm process with background cleanup: the announcement on the pending channel or its next sweep claims it.
        await using var listener = NewManager(prefix, "worker-1", configure: o =>
        {
            o.EnableAutoCleanup = true;
            o.CleanupInterval = TimeSpan.FromMilliseconds(200);
        });
        using var registration = listener.RegisterTerminationCallback((t, _) =>
        {
            lock (seen)
            {
                seen.Add(t);
            }
            return Task.CompletedTask;
        });

        var result = await CliAsync(prefix, "terminate", session.SessionId);
        Assert.True(result.ExitCode == 0, result.ToString());

        await Eventually.TrueAsync(async () => seen.Count > 0 && !await Db.KeyExistsAsync(Key(prefix, session.SessionId, "ended")),
            "the listener ran the callback and acknowledged the termination");
        var termination = Assert.Single(seen);
        Assert.Equal(TerminationReason.Admin, termination.Reason);
        Assert.Equal("fiona", termination.Session.UserId);
        // Acknowledged: nothing is left that could deliver it a second time.
        Assert.Null(await Db.SortedSetScoreAsync(BucketKey(prefix, session.SessionId, "pending"), session.SessionId));
        // The listener appends the event right after acknowledging; wait for it, then read it the operator's way.
        await Eventually.TrueAsync(async () => (long)await Db.ExecuteAsync("XLEN", $"{prefix}:events") == 1, "the termination event was appended");
        var events = (await CliAsync(prefix, "events", "--json")).JsonLines();
        var appended = Assert.Single(events);
        Assert.Equal(session.SessionId, appended.GetProperty("session_id").GetString());
        Assert.Equal("worker-1", appended.GetProperty("handled_by").GetString());
    }

    [Fact]
    public async Task Terminate_user_except_one_and_terminate_node()
    {
        var prefix = NewPrefix();
        await using var web1 = NewManager(prefix, "web-1");
        await using var web2 = NewManager(prefix, "web-2");
        var keep = await web1.CreateSessionAsync("gina");
        var drop1 = await web1.CreateSessionAsync("gina");
        var drop2 = await web2.CreateSessionAsync("gina");
        var other = await web2.CreateSessionAsync("hank");
        var stays = await web1.CreateSessionAsync("ivan");

        var byUser = await CliAsync(prefix, "terminate", "--user", "gina", "--except", keep.SessionId, "--json");

        Assert.True(byUser.ExitCode == 0, byUser.ToString());
        var json = byUser.Json();
        Assert.Equal("user", json.GetProperty("target").GetString());
        Assert.Equal(2, json.GetProperty("count").GetInt32());
        Assert.Equal("admin", json.GetProperty("reason").GetString());
        Assert.Equal(new[] { drop1.SessionId, drop2.SessionId }.Order(StringComparer.Ordinal),
            json.GetProperty("sessions").EnumerateArray().Select(s => s.GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal([keep.SessionId], (await web1.GetUserSessionsAsync("gina")).Select(s => s.SessionId));
        Assert.Equal("admin", (string?)await Db.HashGetAsync(Key(prefix, drop2.SessionId, "ended"), "reason"));

        var byNode = await CliAsync(prefix, "terminate", "--node", "web-2");

        Assert.True(byNode.ExitCode == 0, byNode.ToString());
        Assert.Contains("Terminated 1 session(s) of node web-2 (reason admin).", byNode.Stdout, StringComparison.Ordinal);
        Assert.Contains(other.SessionId, byNode.Stdout, StringComparison.Ordinal);
        Assert.Null(await web1.PeekSessionAsync(other.SessionId));
        Assert.NotNull(await web1.PeekSessionAsync(keep.SessionId));
        Assert.NotNull(await web1.PeekSessionAsync(stays.SessionId));
    }

    [Fact]
    public async Task Terminate_of_an_unknown_or_already_ended_session_exits_1()
    {
        var prefix = NewPrefix();
        await using var app = NewManager(prefix);
        var session = await app.CreateSessionAsync("jane");
        Assert.Equal(0, (await CliAsync(prefix, "terminate", session.SessionId)).ExitCode);

        foreach (var id in new[] { session.SessionId, FakeIdBeside(session.SessionId, 'Z'), "garbage" })
        {
            var again = await CliAsync(prefix, "terminate", id);
            Assert.True(again.ExitCode == 1, again.ToString());
            Assert.Single(again.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("nothing was terminated", again.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("terminate")]
    [InlineData("terminate", "--node", "n1", "--user", "u1")]
    [InlineData("terminate", "0a1QQQQQQQQQQQQQQQQQQQQQQ", "--user", "u1")]
    [InlineData("terminate", "--node", "n1", "--except", "0a1QQQQQQQQQQQQQQQQQQQQQQ")]
    public async Task Terminate_with_no_target_or_two_is_a_usage_error(params string[] arguments)
    {
        var prefix = NewPrefix();
        var result = await CliAsync(prefix, arguments);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }
}
