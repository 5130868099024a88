namespace RedisSessions.Cli.Output;

/// <summary>One planned <c>cleanup</c> change. <see cref="SessionId"/> is null for a change to a user's index entry as a
/// whole (stale expiry entry or score); <see cref="User"/> names the entry (the user id, or '#' + SHA-1 of it).</summary>
internal sealed class CleanupReportItem
{
    public required string Kind { get; init; }
    public required string Key { get; init; }
    public required string? SessionId { get; init; }
    public string? User { get; init; }
    public required string Detail { get; init; }
    public required string Action { get; init; }
}
