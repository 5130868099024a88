namespace RedisSessions.Administration;

/// <summary>What <see cref="SessionAdmin.ApplyCleanupAsync"/> did.</summary>
public sealed class CleanupResult
{
    internal CleanupResult(IReadOnlyDictionary<CleanupKind, int> repaired, IReadOnlyDictionary<CleanupKind, int> skipped, int sessionsEnded, int tagsSwept)
    {
        Repaired = repaired;
        Skipped = skipped;
        SessionsEnded = sessionsEnded;
        TagsSwept = tagsSwept;
    }

    /// <summary>Items repaired, by kind (kinds with none left out).</summary>
    public IReadOnlyDictionary<CleanupKind, int> Repaired { get; }

    /// <summary>Items left alone because they had changed since the plan (a session came back to its index, a handler
    /// took a termination, a session was created in the tag...), by kind.</summary>
    public IReadOnlyDictionary<CleanupKind, int> Skipped { get; }

    /// <summary>Sessions the sweeps of the touched tags ended (those planned as overdue and any whose time ran out
    /// since); their callbacks run in a process with handlers.</summary>
    public int SessionsEnded { get; }

    /// <summary>Tags swept (every tag an item was about).</summary>
    public int TagsSwept { get; }

    /// <summary>Items repaired, all kinds together.</summary>
    public int TotalRepaired => Repaired.Values.Sum();

    /// <summary>Items skipped, all kinds together.</summary>
    public int TotalSkipped => Skipped.Values.Sum();
}
