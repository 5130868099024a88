namespace RedisSessions.Cli.Output;

/// <summary>What <c>terminate</c> did: target is <c>session</c>, <c>user</c> or <c>node</c>.</summary>
internal sealed class TerminateReport
{
    public required string Target { get; init; }
    public required string Value { get; init; }
    public string? Except { get; init; }
    public required int Count { get; init; }
    public required List<string> Sessions { get; init; }
    public string Reason { get; init; } = "admin";
}
