namespace RedisSessions.Administration;

/// <summary>What <see cref="SessionAdmin.PlanCleanupAsync"/> found; nothing was changed. Give it to
/// <see cref="SessionAdmin.ApplyCleanupAsync"/> to repair it.</summary>
public sealed class CleanupPlan
{
    internal CleanupPlan(IReadOnlyList<CleanupItem> items, bool scannedKeyspace, DateTimeOffset plannedAt, string keyPrefix)
    {
        Items = items;
        ScannedKeyspace = scannedKeyspace;
        PlannedAt = plannedAt;
        KeyPrefix = keyPrefix;
    }

    /// <summary>Everything to repair, ordered by tag.</summary>
    public IReadOnlyList<CleanupItem> Items { get; }

    /// <summary>Whether the keyspace was scanned (<see cref="CleanupOptions.ScanKeyspace"/>).</summary>
    public bool ScannedKeyspace { get; }

    /// <summary>Redis's clock when the plan was made.</summary>
    public DateTimeOffset PlannedAt { get; }

    /// <summary>The key prefix the plan is for.</summary>
    public string KeyPrefix { get; }

    /// <summary>How many items of each kind (kinds with none left out).</summary>
    public IReadOnlyDictionary<CleanupKind, int> CountByKind() =>
        Items.GroupBy(i => i.Kind).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
}
