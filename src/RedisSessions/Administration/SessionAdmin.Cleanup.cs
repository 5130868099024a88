namespace RedisSessions.Administration;

/// <summary>Finding and repairing damage.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>
    /// Looks for what <see cref="CleanupKind"/> names and changes nothing: it walks every tag (O(sessions), see
    /// <see cref="ListSessionsAsync"/>) — its due index, each listed user's index and the sessions in it, its pending
    /// index, its wake key — and compares each tag's sessions counter with what the tag's indexes hold (the counter check
    /// is a walk of the tag: O(tag)). With <see cref="CleanupOptions.ScanKeyspace"/> it first scans every primary for
    /// what no index reaches. Give the plan to <see cref="ApplyCleanupAsync"/>.
    /// </summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<CleanupPlan> PlanCleanupAsync(CleanupOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scan = options?.ScanKeyspace ?? false;
        return await RunAsync("admin-cleanup-plan", async () =>
        {
            var redis = await _manager.Connection.GetAsync().ConfigureAwait(false);
            return await new CleanupPlanner(Scripts).PlanAsync(redis, scan, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Repairs what <paramref name="plan"/> found. Each repair is a script of its own that re-checks inside Redis that
    /// the item is still as the plan found it, and leaves it alone otherwise (a session that came back, a termination a
    /// handler took, a session created in the tag meanwhile): those are counted in <see cref="CleanupResult.Skipped"/>.
    /// Then every tag the plan touched is swept — the library's own sweep: sessions whose time is up end (reason
    /// expired or absolute_timeout) and wait, announced, for a process with handlers to run their callbacks once — and
    /// the counters found wrong are recounted and written. Safe to run while the farm serves requests.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="plan"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="plan"/> was made for another key prefix.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<CleanupResult> ApplyCleanupAsync(CleanupPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!string.Equals(plan.KeyPrefix, KeyPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The plan was made for key prefix \"{plan.KeyPrefix}\", not \"{KeyPrefix}\".", nameof(plan));
        }
        cancellationToken.ThrowIfCancellationRequested();
        return await RunAsync("admin-cleanup-apply", async () =>
            await new CleanupRepairs(Scripts, _manager.Sweeper).ApplyAsync(await DbAsync().ConfigureAwait(false), plan, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }
}
