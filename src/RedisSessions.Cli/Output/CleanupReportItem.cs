namespace RedisSessions.Cli.Output;

/// <summary>One planned <c>cleanup</c> change. <see cref="SessionId"/> is null for a change about a user or a tag as a
/// whole; <see cref="User"/> names the user as its keys do (the id, escaped or hashed when it isn't short and plain).</summary>
internal sealed class CleanupReportItem
{
    public required string Kind { get; init; }
    public required string Tag { get; init; }
    public required string Key { get; init; }
    public required string? SessionId { get; init; }
    public string? User { get; init; }
    public required string Detail { get; init; }
    public required string Action { get; init; }
}
