namespace RedisSessions.Cli.Output;

/// <summary>What <c>cleanup</c> found (<see cref="Items"/>, <see cref="Summary"/> by kind) and, once applied, did.</summary>
internal sealed class CleanupReport
{
    public required string Redis { get; init; }
    public required string Prefix { get; init; }
    public required bool ScannedKeyspace { get; init; }
    public required DateTimeOffset PlannedAt { get; init; }
    public required List<CleanupReportItem> Items { get; init; }
    public required SortedDictionary<string, long> Summary { get; init; }
    public bool Applied { get; set; }
    public CleanupOutcome? Result { get; set; }
}

/// <summary>What the apply did: items repaired and skipped (changed since the plan) by kind, sessions the sweeps ended,
/// tags swept.</summary>
internal sealed class CleanupOutcome
{
    public required SortedDictionary<string, long> Repaired { get; init; }
    public required SortedDictionary<string, long> Skipped { get; init; }
    public required int SessionsEnded { get; init; }
    public required int TagsSwept { get; init; }
}
