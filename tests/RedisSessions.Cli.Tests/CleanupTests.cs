using System.Text.Json;
using RedisSessions.Administration;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

public abstract class CleanupTests(RedisFixture redis) : CliTestBase(redis)
{
    private sealed record Mess(Session Live, Session Overdue, string LostHash, Session Unindexed, string Unscheduled, string FakePending, string Counter);

    /// <summary>One of several kinds of damage, each made by hand as redis-cli would, beside a healthy session.</summary>
    private async Task<Mess> MakeAMessAsync(string prefix)
    {
        await using var app = NewManager(prefix);
        await using var quick = NewManager(prefix, "web-q", o => o.InactiveTimeout = TimeSpan.FromMilliseconds(100));
        var live = await app.CreateSessionAsync("kate");
        // Past its time and never ended: nobody ran a sweep.
        var overdue = await quick.CreateSessionAsync("liam");
        await RedisTime.WaitUntilAsync(Db, overdue.ExpiresAt);
        // DEL of a session hash: mona's index still lists it.
        var lost = await app.CreateSessionAsync("mona");
        await Db.KeyDeleteAsync(TestKeys.SessionKey(prefix, lost.SessionId));
        // ZREM from the user's index: nick's second session is listed nowhere.
        await app.CreateSessionAsync("nick");
        var unindexed = await app.CreateSessionAsync("nick");
        await Db.SortedSetRemoveAsync(TestKeys.UserKey(prefix, unindexed.SessionId, "nick"), unindexed.SessionId);
        // ZREM from the due index: no sweep visits pete.
        var pete = await app.CreateSessionAsync("pete");
        await Db.SortedSetRemoveAsync(TestKeys.TagKey(prefix, pete.SessionId, "due"), "pete");
        // ZADD of a pending entry with no snapshot.
        var fakePending = FakeIdBeside(live.SessionId, 'P');
        await Db.SortedSetAddAsync(TestKeys.TagKey(prefix, fakePending, "pending"), fakePending, 0);
        return new Mess(live, overdue, lost.SessionId, unindexed, "pete", fakePending, TestKeys.TagKey(prefix, live.SessionId, "sessions"));
    }

    private static List<string> Kinds(JsonElement report) =>
        report.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("kind").GetString()!).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Cleanup_without_a_terminal_or_yes_lists_the_plan_refuses_with_exit_2_and_changes_nothing()
    {
        var prefix = NewPrefix();
        var mess = await MakeAMessAsync(prefix);
        var before = await Redis.DumpAsync(prefix);

        var table = await CliAsync(prefix, "cleanup");
        var json = await CliAsync(prefix, "cleanup", "--json");
        var dryRun = await CliAsync(prefix, "cleanup", "--dry-run");

        Assert.True(table.ExitCode == 2, table.ToString());
        Assert.Contains("Cleanup plan for prefix", table.Stdout, StringComparison.Ordinal);
        Assert.Matches($@"session past its time\s+\S+\s+{mess.Overdue.SessionId}\s+user liam: its time was up", table.Stdout);
        Assert.Matches($@"stale index entry\s+\S+\s+{mess.LostHash}\s+listed in .* but its session hash is gone", table.Stdout);
        Assert.Matches($@"unindexed session\s+\S+\s+{mess.Unindexed.SessionId}\s+", table.Stdout);
        Assert.Matches(@"unscheduled user\s+\S+\s+\(user pete\)\s+", table.Stdout);
        Assert.Matches($@"stale pending entry\s+\S+\s+{mess.FakePending}\s+ready for any handler, but its snapshot is gone", table.Stdout);
        Assert.Matches(@"^5 change\(s\): ", table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        var refusal = Assert.Single(table.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("redis-sessions: cleanup: refusing to change anything: no terminal to ask for confirmation; re-run with --yes to apply these 5 change(s).", refusal);

        Assert.Equal(2, json.ExitCode);
        var report = json.Json();
        Assert.False(report.GetProperty("applied").GetBoolean());
        Assert.True(report.GetProperty("scanned_keyspace").GetBoolean());
        Assert.Equal(["overdue_session", "stale_index_entry", "stale_pending_entry", "unindexed_session", "unscheduled_user"], Kinds(report));
        Assert.Equal(1, report.GetProperty("summary").GetProperty("stale_index_entry").GetInt64());

        Assert.Equal(0, dryRun.ExitCode);
        Assert.Equal(before, await Redis.DumpAsync(prefix));
    }

    [Fact]
    public async Task Cleanup_yes_repairs_everything_ends_what_is_overdue_and_a_second_run_finds_nothing()
    {
        var prefix = NewPrefix();
        var mess = await MakeAMessAsync(prefix);
        await Db.StringSetAsync(mess.Counter, 42); // SET rs:{tag}:sessions 42

        var applied = await CliAsync(prefix, "cleanup", "--yes", "--json");
        var again = await CliAsync(prefix, "cleanup", "--yes");

        Assert.True(applied.ExitCode == 0, applied.ToString());
        var report = applied.Json();
        Assert.True(report.GetProperty("applied").GetBoolean());
        Assert.Contains("counter_mismatch", Kinds(report));
        var repaired = report.GetProperty("result").GetProperty("repaired");
        foreach (var kind in new[] { "overdue_session", "stale_index_entry", "stale_pending_entry", "unindexed_session", "unscheduled_user", "counter_mismatch" })
        {
            Assert.True(repaired.TryGetProperty(kind, out var count) && count.GetInt64() >= 1, $"{kind} not repaired: {report}");
        }
        Assert.Equal(1, report.GetProperty("result").GetProperty("sessions_ended").GetInt32());
        Assert.Empty(report.GetProperty("result").GetProperty("skipped").EnumerateObject());

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith($"Nothing to clean under prefix \"{prefix}\"", again.Stdout, StringComparison.Ordinal);

        await using var manager = NewManager(prefix);
        var admin = Admin(manager);
        Assert.Equal("expired", (await admin.InspectSessionAsync(mess.Overdue.SessionId))!.Reason);
        Assert.Equal(2, (await manager.GetUserSessionsAsync("nick")).Count);
        Assert.NotNull(await manager.PeekSessionAsync(mess.Live.SessionId));
        Assert.Equal(4, (await manager.GetStatsAsync()).TotalActiveSessions); // kate, nick x2, pete
    }

    [Fact]
    public async Task Cleanup_no_scan_checks_the_indexes_only_and_the_table_says_so()
    {
        var prefix = NewPrefix();
        var mess = await MakeAMessAsync(prefix);

        var result = await CliAsync(prefix, "cleanup", "--no-scan", "--dry-run", "--json");
        var table = await CliAsync(prefix, "cleanup", "--no-scan", "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        var kinds = Kinds(result.Json());
        Assert.DoesNotContain("unindexed_session", kinds);
        Assert.DoesNotContain("unscheduled_user", kinds);
        Assert.Contains("overdue_session", kinds);
        Assert.False(result.Json().GetProperty("scanned_keyspace").GetBoolean());
        Assert.Contains("(keyspace not scanned: --no-scan)", table.Stdout, StringComparison.Ordinal);
        Assert.NotNull(mess);
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneCleanupTests(StandaloneRedisFixture redis) : CleanupTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterCleanupTests(ClusterRedisFixture redis) : CleanupTests(redis);
