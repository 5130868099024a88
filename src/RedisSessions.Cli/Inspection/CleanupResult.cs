namespace RedisSessions.Cli.Inspection;

/// <summary>What <c>cleanup</c> changed, by counter name (snake_case, as printed in JSON):
/// <c>ended_sessions</c>, <c>rescored_entries</c>, <c>removed_index_entries</c>, <c>deleted_orphaned_keys</c>,
/// <c>reindexed_sessions</c>, <c>deleted_damaged_sessions</c>, and <c>skipped</c> (changed since the plan: left alone).</summary>
internal sealed class CleanupResult
{
    public static readonly string[] Counters =
        ["ended_sessions", "rescored_entries", "removed_index_entries", "deleted_orphaned_keys", "reindexed_sessions", "deleted_damaged_sessions", "skipped"];

    public SortedDictionary<string, long> Counts { get; } = new(Counters.ToDictionary(c => c, _ => 0L), StringComparer.Ordinal);

    public void Count(string counter, long by = 1) => Counts[counter] += by;
}
