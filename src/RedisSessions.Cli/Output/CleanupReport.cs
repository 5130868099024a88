namespace RedisSessions.Cli.Output;

/// <summary>What <c>cleanup</c> found (<see cref="Items"/>, <see cref="Summary"/> by group) and, once applied, did.</summary>
internal sealed class CleanupReport
{
    public required string Redis { get; init; }
    public required string Prefix { get; init; }
    public required bool ScannedForOrphans { get; init; }
    public required List<CleanupReportItem> Items { get; init; }
    public required Dictionary<string, long> Summary { get; init; }
    public bool Applied { get; set; }
    public SortedDictionary<string, long>? Result { get; set; }
}

