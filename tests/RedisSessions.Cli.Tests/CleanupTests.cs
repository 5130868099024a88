using System.Text.Json;
using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class CleanupTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    private sealed record Mess(string Live, string Overdue, string LostHash, string Unindexed, string Unscheduled, string FakeUser, string FakePending, string FakeSnapshot);

    /// <summary>One of each problem cleanup fixes, beside a healthy session it must not touch.</summary>
    private async Task<Mess> MakeAMessAsync(string prefix)
    {
        await using var app = NewManager(prefix);
        await using var twoHoursAgo = NewManager(prefix, clock: new ShiftedClock(TimeSpan.FromHours(-2)));
        var live = await app.CreateSessionAsync("kate");
        // Past its time (expired an hour ago) and never ended: nobody ran a sweep.
        var overdue = await twoHoursAgo.CreateSessionAsync("liam");
        // Its hash vanished (deleted by hand): mona's entry in the users hash still lists it.
        var lostHash = await app.CreateSessionAsync("mona");
        await Db.KeyDeleteAsync(Key(prefix, lostHash.SessionId, "session"));
        // A live session its bucket's indexes lost: nick's users entry and expiry member are gone.
        var unindexed = await app.CreateSessionAsync("nick");
        await Db.HashDeleteAsync(BucketKey(prefix, unindexed.SessionId, "users"), "nick");
        await Db.SortedSetRemoveAsync(BucketKey(prefix, unindexed.SessionId, "expiry"), "nick");
        // A live session whose user the expiry schedule lost: the sweep would never end it.
        var unscheduled = await app.CreateSessionAsync("pete");
        await Db.SortedSetRemoveAsync(BucketKey(prefix, unscheduled.SessionId, "expiry"), "pete");
        // Entries and keys pointing at users and sessions that never existed.
        var fakeUser = "ghost";
        await Db.SortedSetAddAsync(BucketKey(prefix, live.SessionId, "expiry"), fakeUser, DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds());
        var fakePending = FakeIdBeside(live.SessionId, 'P');
        await Db.SortedSetAddAsync(BucketKey(prefix, fakePending, "pending"), fakePending, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var fakeSnapshot = FakeIdBeside(live.SessionId, 'S');
        await Db.HashSetAsync(Key(prefix, fakeSnapshot, "ended"), [new("u", "ghost"), new("reason", "admin")]);
        return new Mess(live.SessionId, overdue.SessionId, lostHash.SessionId, unindexed.SessionId, unscheduled.SessionId, fakeUser, fakePending, fakeSnapshot);
    }

    /// <summary>Each item's kind with its session id, or with its user for a change to a user's index entry as a whole.</summary>
    private static List<(string Kind, string Subject)> Items(JsonElement report) =>
        report.GetProperty("items").EnumerateArray()
            .Select(i => (i.GetProperty("kind").GetString()!, i.GetProperty("session_id").GetString() ?? "user:" + i.GetProperty("user").GetString())).ToList();

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
        Assert.Matches($@"stale user entry\s+{prefix}:\{{{mess.LostHash[..3]}\}}:users\s+{mess.LostHash}\s+listed for user mona", table.Stdout);
        Assert.Matches(@"stale expiry entry\s+\S+:expiry\s+\(user ghost\)", table.Stdout);
        Assert.Matches(@"stale expiry score\s+\S+:expiry\s+\(user pete\)\s+user pete is not in it", table.Stdout);

        Assert.Equal(2, json.ExitCode);
        var report = json.Json();
        Assert.False(report.GetProperty("applied").GetBoolean());
        var items = Items(report);
        Assert.Equal(
            new[]
            {
                ("overdue_session", mess.Overdue),
                ("stale_user_entry", mess.LostHash),
                ("stale_expiry_entry", "user:" + mess.FakeUser),
                ("stale_expiry_score", "user:pete"),
                ("stale_pending_entry", mess.FakePending),
                ("unindexed_session", mess.Unindexed),
                ("orphan_snapshot", mess.FakeSnapshot),
            }.Order(),
            items.Order());
        Assert.Equal(2, report.GetProperty("summary").GetProperty("orphaned keys").GetInt64()); // fake snapshot, unindexed session
        Assert.Equal(4, report.GetProperty("summary").GetProperty("stale index entries").GetInt64());
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
        Assert.Equal(3, done.GetProperty("removed_index_entries").GetInt64()); // lost hash's id in mona's entry; ghost's expiry member; fake pending
        Assert.Equal(1, done.GetProperty("deleted_orphaned_keys").GetInt64()); // fake snapshot
        Assert.Equal(1, done.GetProperty("reindexed_sessions").GetInt64());
        Assert.Equal(1, done.GetProperty("rescored_entries").GetInt64());
        Assert.Equal(0, done.GetProperty("skipped").GetInt64());

        // The session past its time ended as expired, left for a listener's callbacks.
        Assert.Equal("expired", (string?)await Db.HashGetAsync(Key(prefix, mess.Overdue, "ended"), "reason"));
        Assert.NotNull(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.Overdue, "pending"), mess.Overdue));
        // Healthy and re-indexed sessions are live and listed again (the lost one scheduled at its expiry); the rest is gone.
        Assert.NotNull(await app.PeekSessionAsync(mess.Live));
        var nick = Assert.Single(await app.GetUserSessionsAsync("nick"));
        Assert.Equal(mess.Unindexed, nick.SessionId);
        Assert.Equal(nick.ExpiresAt.ToUnixTimeMilliseconds(), await Db.SortedSetScoreAsync(BucketKey(prefix, mess.Unindexed, "expiry"), "nick"));
        var pete = Assert.Single(await app.GetUserSessionsAsync("pete"));
        Assert.Equal(pete.ExpiresAt.ToUnixTimeMilliseconds(), await Db.SortedSetScoreAsync(BucketKey(prefix, mess.Unscheduled, "expiry"), "pete"));
        Assert.Empty(await app.GetUserSessionsAsync("mona"));
        Assert.False(await Db.HashExistsAsync(BucketKey(prefix, mess.LostHash, "users"), "mona"));
        Assert.False(await Db.KeyExistsAsync(Key(prefix, mess.FakeSnapshot, "ended")));
        Assert.Null(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.Live, "expiry"), mess.FakeUser));
        Assert.Null(await Db.SortedSetScoreAsync(BucketKey(prefix, mess.FakePending, "pending"), mess.FakePending));
        var stats = await app.GetStatsAsync();
        Assert.Equal(3, stats.TotalActiveSessions); // kate, nick, pete: the bucket counts are right again
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
        Assert.Contains(("stale_user_entry", mess.LostHash), items);
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
        Assert.Contains("removed index entries: 3", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("rescored entries: 1", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("reindexed sessions: 1", result.Stdout, StringComparison.Ordinal);
    }
}
