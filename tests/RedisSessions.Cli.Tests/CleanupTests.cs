using System.Text.Json;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class CleanupTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    private sealed record Mess(string Live, string Overdue, string LostHash, string Unindexed, string FakeEntry, string FakeTimer, string FakePending, string FakeSnapshot);

    /// <summary>One of each problem cleanup fixes, beside a healthy session it must not touch.</summary>
    private async Task<Mess> MakeAMessAsync(string prefix)
    {
        await using var app = NewManager(prefix);
        await using var twoHoursAgo = NewManager(prefix, clock: new ShiftedClock(TimeSpan.FromHours(-2)));
        var live = await app.CreateSessionAsync("kate");
        // Past its time (expired an hour ago) and never ended: nobody ran a sweep.
        var overdue = await twoHoursAgo.CreateSessionAsync("liam");
        // Its hash vanished (deleted by hand): its expiry entry, user entry and timer are left dangling.
        var lostHash = await app.CreateSessionAsync("mona");
        await Db.KeyDeleteAsync(Key(prefix, lostHash.SessionId, "session"));
        // A live session its bucket's expiry index lost.
        var unindexed = await app.CreateSessionAsync("nick");
        await Db.SortedSetRemoveAsync(BucketKey(prefix, unindexed.SessionId, "expiry"), unindexed.SessionId);
        // Keys and entries pointing at sessions that never existed.
        var fakeEntry = FakeIdBeside(live.SessionId, 'E');
        await Db.SortedSetAddAsync(BucketKey(prefix, fakeEntry, "expiry"), fakeEntry, DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds());
        var fakeTimer = FakeIdBeside(live.SessionId, 'T');
        await Db.StringSetAsync(Key(prefix, fakeTimer, "timer"), "1", TimeSpan.FromHours(1));
        var fakePending = FakeIdBeside(live.SessionId, 'P');
        await Db.SortedSetAddAsync(BucketKey(prefix, fakePending, "pending"), fakePending, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var fakeSnapshot = FakeIdBeside(live.SessionId, 'S');
        await Db.HashSetAsync(Key(prefix, fakeSnapshot, "ended"), [new("user", "ghost"), new("reason", "admin")]);
        return new Mess(live.SessionId, overdue.SessionId, lostHash.SessionId, unindexed.SessionId, fakeEntry, fakeTimer, fakePending, fakeSnapshot);
    }

    private static List<(string Kind, string SessionId)> Items(JsonElement report) =>
        report.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("kind").GetString()!, i.GetProperty("session_id").GetString()!)).ToList();

    [Fact]
    public async Task Cleanup_without_yes_and_without_a_terminal_lists_the_plan_refuses_and_changes_nothing()
    {
        var prefix = NewPrefix();
        var mess = await MakeAMessAsync(prefix);
        var before = await Redis.DumpAsync(prefix);

        var table = await CliAsync(prefix, "cleanup");
        var json = await CliAsync(prefix, "cleanup", "--json");

        Assert.True(table.ExitCode == 2, table.ToString());
        var refusal = Assert.Single(table.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("refusing to change anything", refusal, StringComparison.Ordinal);
        Assert.Contains("--yes", refusal, StringComparison.Ordinal);
        Assert.Contains("Cleanup plan for prefix", table.Stdout, StringComparison.Ordinal);
        Assert.Matches($@"session past its time\s+{prefix}:\{{{mess.Overdue[..3]}\}}:session:{mess.Overdue}", table.Stdout);
        Assert.Contains("orphaned timer", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("stale expiry entry", table.Stdout, StringComparison.Ordinal);

        Assert.Equal(2, json.ExitCode);
        var report = json.Json();
        Assert.False(report.GetProperty("applied").GetBoolean());
        var items = Items(report);
        Assert.Contains(("overdue_session", mess.Overdue), items);
        Assert.Contains(("stale_expiry_entry", mess.LostHash), items);
        Assert.Contains(("stale_user_entry", mess.LostHash), items);
        Assert.Contains(("stale_expiry_entry", mess.FakeEntry), items);
        Assert.Contains(("stale_pending_entry", mess.FakePending), items);
        Assert.Contains(("orphan_timer", mess.FakeTimer), items);
        Assert.Contains(("orphan_snapshot", mess.FakeSnapshot), items);
        Assert.Contains(("unindexed_session", mess.Unindexed), items);
        Assert.DoesNotContain(items, i => i.SessionId == mess.Live);
        Assert.Equal(3, report.GetProperty("summary").GetProperty("orphaned keys").GetInt64()); // fake timer, fake snapshot, unindexed session
        Assert.Equal(1, report.GetProperty("summary").GetProperty("sessions past their time").GetInt64());

        Assert.Equal(before, await Redis.DumpAsync(prefix));
    }

    [Fact]
    public async Task Cleanup_yes_fixes_everything_through_the_pipeline_and_a_second_run_finds_nothing()
    {
        var prefix = NewPrefix();
        var mess = await MakeAMessAsync(prefix);
        await using var app = NewManager(prefix);

        var result = await CliAsync(prefix, "cleanup", "--yes", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = result.Json();
        Assert.True(report.GetProperty("applied").GetBoolean());
        var done = report.GetProperty("result");
        Assert.Equal(1, done.GetProperty("ended_sessions").GetInt64());
        Assert.Equal(4, done.GetProperty("removed_index_entries").GetInt64()); // lost hash: expiry + user entry; fake entry; fake pending
        Assert.Equal(2, done.GetProperty("deleted_orphaned_keys").GetInt64()); // fake timer, fake snapshot (the lost hash's timer went with its entry)
        Assert.Equal(1, done.GetProperty("reindexed_sessions").GetInt64());
        Assert.Equal(0, done.GetProperty("skipped").GetInt64());

        // The session past its time ended as expired, left for a listener's callbacks.
        Assert.Equal("expired", (string?)await Db.HashGetAsync(Key(prefix, mess.Overdue, "ended"), "reason"));
        Assert.NotNull(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.Overdue, "pending"), mess.Overdue));
        // Healthy and re-indexed sessions are live and listed again; the rest is gone.
        Assert.NotNull(await app.PeekSessionAsync(mess.Live));
        Assert.NotNull(await app.PeekSessionAsync(mess.Unindexed));
        Assert.NotNull(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.Unindexed, "expiry"), mess.Unindexed));
        Assert.Empty(await app.GetUserSessionsAsync("mona"));
        Assert.False(await Db.KeyExistsAsync(Key(prefix, mess.LostHash, "timer")));
        Assert.False(await Db.KeyExistsAsync(Key(prefix, mess.FakeTimer, "timer")));
        Assert.False(await Db.KeyExistsAsync(Key(prefix, mess.FakeSnapshot, "ended")));
        Assert.Null(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.FakeEntry, "expiry"), mess.FakeEntry));
        Assert.Null(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.FakePending, "pending"), mess.FakePending));
        var stats = await app.GetStatsAsync();
        Assert.Equal(2, stats.TotalActiveSessions);
        Assert.Equal(0, stats.OverdueSessions);

        var again = await CliAsync(prefix, "cleanup");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith("Nothing to clean under prefix", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_dry_run_and_no_scan()
    {
        var prefix = NewPrefix();
        var mess = await MakeAMessAsync(prefix);
        var before = await Redis.DumpAsync(prefix);

        var dryRun = await CliAsync(prefix, "cleanup", "--dry-run", "--no-scan", "--json");

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        var items = Items(dryRun.Json());
        Assert.Contains(("overdue_session", mess.Overdue), items);
        Assert.DoesNotContain(items, i => i.Kind.StartsWith("orphan_", StringComparison.Ordinal) || i.Kind == "unindexed_session");
        Assert.Equal(before, await Redis.DumpAsync(prefix));
    }

    [Fact]
    public async Task Cleanup_table_reports_what_it_did()
    {
        var prefix = NewPrefix();
        await MakeAMessAsync(prefix);

        var result = await CliAsync(prefix, "cleanup", "-y");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"\d+ change\(s\): ", result.Stdout);
        Assert.Contains("Done. ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ended sessions: 1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("removed index entries: 4", result.Stdout, StringComparison.Ordinal);
    }
}
