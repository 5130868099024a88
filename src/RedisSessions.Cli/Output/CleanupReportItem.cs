namespace RedisSessions.Cli.Output;

/// <summary>One planned <c>cleanup</c> change.</summary>
internal sealed class CleanupReportItem
{
    public required string Kind { get; init; }
    public required string Key { get; init; }
    public required string SessionId { get; init; }
    public required string Detail { get; init; }
    public required string Action { get; init; }
}
