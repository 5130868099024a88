namespace RedisSessions.Cli.Output;

/// <summary>What <c>list --json</c> prints: the rows shown, and how many matched before <c>--limit</c>.</summary>
internal sealed class SessionList
{
    public required int Count { get; init; }
    public required int Matched { get; init; }
    public required List<SessionRow> Sessions { get; init; }
}
