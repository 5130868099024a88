namespace RedisSessions.Administration;

/// <summary>How <see cref="SessionAdmin.PlanCleanupAsync"/> looks for damage.</summary>
public sealed class CleanupOptions
{
    /// <summary>Whether to also SCAN every primary for the prefix's keys (<c>SCAN MATCH {prefix}:{*</c>, never
    /// <c>KEYS</c>): it finds what no index reaches — user indexes the due index lost
    /// (<see cref="CleanupKind.UnscheduledUser"/>), sessions their user's index lost
    /// (<see cref="CleanupKind.UnindexedSession"/>), snapshots no pending entry points to
    /// (<see cref="CleanupKind.UnqueuedSnapshot"/>) — and lets the counter check count them. Costs a pass over the
    /// whole keyspace of every primary. Without it a user index the due index lost is invisible, and a counter that
    /// counts its sessions is reported as too high. Defaults to false.</summary>
    public bool ScanKeyspace { get; init; }
}
