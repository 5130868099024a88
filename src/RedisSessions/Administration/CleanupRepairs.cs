using RedisSessions.Expiry;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using StackExchange.Redis;

namespace RedisSessions.Administration;

/// <summary>
/// Applies a <see cref="CleanupPlan"/>. Each repair is one script that re-checks, inside Redis, that what it fixes is
/// still as the plan found it (what changed meanwhile is left alone and counted as skipped). The order matters: due
/// scores first (from the user indexes as they are), then index entries, lost sessions and pending entries, then a
/// sweep of every tag the plan touched (it ends the overdue sessions, now all reachable, and re-arms the wake keys),
/// and last the counters, recounted after every other repair.
/// </summary>
internal sealed class CleanupRepairs
{
    private readonly ScriptContext _scripts;
    private readonly TagSweeper _sweeper;
    private readonly Dictionary<CleanupKind, int> _repaired = [];
    private readonly Dictionary<CleanupKind, int> _skipped = [];

    public CleanupRepairs(ScriptContext scripts, TagSweeper sweeper)
    {
        _scripts = scripts;
        _sweeper = sweeper;
    }

    private KeySchema Keys => _scripts.Keys;

    public async Task<CleanupResult> ApplyAsync(IDatabase db, CleanupPlan plan, CancellationToken cancellationToken)
    {
        var items = plan.Items;

        foreach (var (tag, member) in items.Where(i => i.Kind is CleanupKind.OrphanedDueEntry or CleanupKind.DueScoreMismatch or CleanupKind.UnscheduledUser)
            .Select(i => (i.Tag, i.UserMember!)).Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var changed = await AdminCalls.ReindexDueAsync(db, _scripts, UserKeys.ForMember(Keys, tag, member)).ConfigureAwait(false);
            var kind = items.First(i => i.Tag == tag && i.UserMember == member && i.Kind is CleanupKind.OrphanedDueEntry or CleanupKind.DueScoreMismatch or CleanupKind.UnscheduledUser).Kind;
            Count(kind, changed ? 1 : 0, changed ? 0 : 1);
        }

        foreach (var group in items.Where(i => i.Kind == CleanupKind.StaleIndexEntry).GroupBy(i => (i.Tag, i.UserMember!)))
        {
            var user = UserKeys.ForMember(Keys, group.Key.Tag, group.Key.Item2);
            foreach (var page in group.Chunk(SessionAdmin.SessionsPerCall))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (removed, skipped) = await AdminCalls.RepairUserIndexAsync(db, _scripts, user,
                    page.Select(i => new AdminCalls.StaleEntry(i.SessionId!, i.Finding, i.OtherUser)).ToList()).ConfigureAwait(false);
                Count(CleanupKind.StaleIndexEntry, removed, skipped);
            }
        }

        foreach (var item in items.Where(i => i.Kind == CleanupKind.UnindexedSession))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var listed = await AdminCalls.ReindexSessionAsync(db, _scripts, item.SessionId!, UserKeys.For(Keys, item.OtherUser)).ConfigureAwait(false);
            Count(CleanupKind.UnindexedSession, listed ? 1 : 0, listed ? 0 : 1);
        }

        foreach (var group in items.Where(i => i.Kind == CleanupKind.StalePendingEntry).GroupBy(i => i.Tag))
        {
            foreach (var page in group.Chunk(SessionAdmin.SessionsPerCall))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (removed, skipped) = await AdminCalls.RemoveLostPendingAsync(db, _scripts, group.Key, page.Select(i => i.SessionId!).ToList()).ConfigureAwait(false);
                Count(CleanupKind.StalePendingEntry, removed, skipped);
            }
        }

        foreach (var item in items.Where(i => i.Kind == CleanupKind.UnqueuedSnapshot))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var queued = await AdminCalls.RequeueSnapshotAsync(db, _scripts, item.Tag, item.SessionId!).ConfigureAwait(false);
            Count(CleanupKind.UnqueuedSnapshot, queued ? 1 : 0, queued ? 0 : 1);
        }

        // A sweep of every tag touched: it ends what is overdue (sessions of users just put back in the due index too)
        // and re-arms the tag's wake key from its indexes as they now are.
        var tags = items.Select(i => i.Tag).Distinct(StringComparer.Ordinal).ToList();
        var ended = 0;
        foreach (var tag in tags)
        {
            ended += (await _sweeper.SweepAsync(tag, cancellationToken).ConfigureAwait(false)).Ended;
        }
        Count(CleanupKind.WakeMismatch, items.Count(i => i.Kind == CleanupKind.WakeMismatch), 0);
        foreach (var item in items.Where(i => i.Kind == CleanupKind.OverdueSession))
        {
            var state = await db.HashGetAsync(Keys.Session(item.Tag, item.SessionId!), ["user", "ended"]).ConfigureAwait(false);
            var gone = state[0].IsNull || !state[1].IsNull; // ended now (or forgotten already)
            Count(CleanupKind.OverdueSession, gone ? 1 : 0, gone ? 0 : 1);
        }

        foreach (var tag in items.Where(i => i.Kind == CleanupKind.CounterMismatch).Select(i => i.Tag).Distinct(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var written = await RecountAsync(db, tag, cancellationToken).ConfigureAwait(false);
            Count(CleanupKind.CounterMismatch, written ? 1 : 0, written ? 0 : 1);
        }

        return new CleanupResult(_repaired, _skipped, ended, tags.Count);
    }

    /// <summary>Counts the entries of the tag's user indexes (a walk of the tag: O(users of the tag)) and writes the
    /// counter when it differs and did not move during the count.</summary>
    private async Task<bool> RecountAsync(IDatabase db, string tag, CancellationToken cancellationToken)
    {
        var before = (string?)await db.StringGetAsync(Keys.Sessions(tag)).ConfigureAwait(false);
        long count = 0;
        await foreach (var (member, _) in SessionAdmin.ScanAsync(db, Keys.Due(tag), cancellationToken).ConfigureAwait(false))
        {
            count += await db.SortedSetLengthAsync(UserKeys.ForMember(Keys, tag, member).Index).ConfigureAwait(false);
        }
        var after = (string?)await db.StringGetAsync(Keys.Sessions(tag)).ConfigureAwait(false);
        if (before != after || CleanupPlanner.Count(before) == count)
        {
            return false;
        }
        return await AdminCalls.SetSessionCountAsync(db, _scripts, tag, before, count).ConfigureAwait(false);
    }

    private void Count(CleanupKind kind, int repaired, int skipped)
    {
        if (repaired > 0)
        {
            _repaired[kind] = _repaired.GetValueOrDefault(kind) + repaired;
        }
        if (skipped > 0)
        {
            _skipped[kind] = _skipped.GetValueOrDefault(kind) + skipped;
        }
    }
}
