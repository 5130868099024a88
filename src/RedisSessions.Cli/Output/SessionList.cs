namespace RedisSessions.Cli.Output;

/// <summary>What <c>list --json</c> prints: the rows shown, how many matched before <c>--limit</c>, and with
/// <c>--data</c> each shown session's data by session id.</summary>
internal sealed class SessionList
{
    public required int Count { get; init; }
    public required int Matched { get; init; }
    public required List<SessionRow> Sessions { get; init; }
    public Dictionary<string, SortedDictionary<string, string>>? Data { get; init; }
}
