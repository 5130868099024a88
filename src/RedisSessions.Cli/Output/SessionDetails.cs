using System.Globalization;
using RedisSessions.Administration;

namespace RedisSessions.Cli.Output;

/// <summary>What <c>show</c> prints: the session hash as stored, what it means, where the indexes list it, the
/// termination's state once it ended, and the <c>redis-cli</c> commands that read each of them with their replies.
/// Every "in"/"ago" is on Redis's clock at <see cref="ReadAt"/>.</summary>
internal sealed class SessionDetails
{
    public required string SessionId { get; init; }
    /// <summary><c>active</c>, <c>overdue</c>, <c>ended</c>, <c>handled</c>, <c>not_found</c> or <c>unrecognized</c>.</summary>
    public required string Status { get; init; }
    public required DateTimeOffset ReadAt { get; init; }
    public string? UserId { get; init; }
    public string? Node { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? LastActivity { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }
    public double? IdleSeconds { get; init; }
    public double? ExpiresInSeconds { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? Reason { get; init; }
    public long? Attempt { get; init; }
    public string? Owner { get; init; }
    public required string SessionKey { get; init; }
    public double? SessionKeyTtlSeconds { get; init; }
    public DateTimeOffset? SessionKeyExpiresAt { get; init; }
    public string? UserIndexKey { get; init; }
    public double? UserIndexScore { get; init; }
    public double? UserEarliestScore { get; init; }
    public required string DueIndexKey { get; init; }
    public double? DueIndexScore { get; init; }
    public required string PendingKey { get; init; }
    /// <summary>0 = ready for any handler; else the lease deadline (Unix ms); null = not pending.</summary>
    public double? PendingScore { get; init; }
    public DateTimeOffset? LeasedUntil { get; init; }
    public required string WakeKey { get; init; }
    public DateTimeOffset? WakeAt { get; init; }
    public required string CounterKey { get; init; }
    public string? Counter { get; init; }
    /// <summary>Every field of the hash as stored, in HGETALL's order (data fields as <c>d:{key}</c>).</summary>
    public required Dictionary<string, string> Fields { get; init; }
    public required SortedDictionary<string, string> Data { get; init; }
    /// <summary>The <c>redis-cli</c> commands that read what this shows, each with its reply.</summary>
    public required List<RedisCliLine> RedisCli { get; init; }

    public static SessionDetails From(SessionInspection s) => new()
    {
        SessionId = s.SessionId,
        Status = Name(s.Status),
        ReadAt = s.ReadAt,
        UserId = s.UserId,
        Node = s.Node,
        CreatedAt = s.CreatedAt,
        LastActivity = s.LastActivity,
        ExpiresAt = s.ExpiresAt,
        AbsoluteExpiresAt = s.AbsoluteExpiresAt,
        IdleSeconds = s.LastActivity is { } last ? Text.Seconds(s.ReadAt > last ? s.ReadAt - last : TimeSpan.Zero) : null,
        ExpiresInSeconds = s.ExpiresAt is { } expires ? Text.Seconds(expires - s.ReadAt) : null,
        EndedAt = s.EndedAt,
        Reason = s.Reason,
        Attempt = s.Attempt,
        Owner = s.Owner,
        SessionKey = s.SessionKey,
        SessionKeyTtlSeconds = s.KeyTimeToLive is { } ttl ? Text.Seconds(ttl) : null,
        SessionKeyExpiresAt = s.KeyExpiresAt,
        UserIndexKey = s.UserIndexKey,
        UserIndexScore = s.UserIndexScore,
        UserEarliestScore = s.UserEarliestScore,
        DueIndexKey = s.DueIndexKey,
        DueIndexScore = s.DueIndexScore,
        PendingKey = s.PendingKey,
        PendingScore = s.PendingScore,
        LeasedUntil = s.LeasedUntil,
        WakeKey = s.WakeKey,
        WakeAt = s.WakeAt,
        CounterKey = s.CounterKey,
        Counter = s.Counter,
        Fields = s.Fields.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal),
        Data = new SortedDictionary<string, string>(s.Data.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal), StringComparer.Ordinal),
        RedisCli = RedisCliLines(s),
    };

    public static string Name(SessionStatus status) => status switch
    {
        SessionStatus.Active => "active",
        SessionStatus.Overdue => "overdue",
        SessionStatus.Ended => "ended",
        SessionStatus.Handled => "handled",
        SessionStatus.NotFound => "not_found",
        _ => "unrecognized",
    };

    private static List<RedisCliLine> RedisCliLines(SessionInspection s)
    {
        var lines = new List<RedisCliLine>
        {
            new($"HGETALL {Quote(s.SessionKey)}", s.Fields.Count == 0 ? "(empty array)" : $"{s.Fields.Count} field(s): {string.Join(" ", s.Fields.Select(f => $"{f.Key}={f.Value}"))}"),
            new($"PTTL {Quote(s.SessionKey)}", $"(integer) {(s.KeyTimeToLive is { } ttl ? (long)ttl.TotalMilliseconds : s.Fields.Count == 0 ? -2 : -1)}"),
        };
        if (s.UserIndexKey is { } index)
        {
            lines.Add(new($"ZSCORE {Quote(index)} {Quote(s.SessionId)}", Score(s.UserIndexScore)));
            lines.Add(new($"ZRANGE {Quote(index)} 0 0 WITHSCORES", s.UserEarliestScore is { } earliest ? $"1) \"{s.UserEarliestSessionId}\" 2) {Score(earliest)}" : "(empty array)"));
            lines.Add(new($"ZSCORE {Quote(s.DueIndexKey)} {Quote(s.UserMember!)}", Score(s.DueIndexScore)));
        }
        lines.Add(new($"ZSCORE {Quote(s.PendingKey)} {Quote(s.SessionId)}", Score(s.PendingScore)));
        lines.Add(new($"PEXPIRETIME {Quote(s.WakeKey)}", $"(integer) {(s.WakeAt is { } wake ? wake.ToUnixTimeMilliseconds() : -2)}"));
        lines.Add(new($"GET {Quote(s.CounterKey)}", s.Counter is null ? "(nil)" : $"\"{s.Counter}\""));
        return lines;
    }

    private static string Score(double? score) => score is { } value ? $"\"{value.ToString("R", CultureInfo.InvariantCulture)}\"" : "(nil)";

    /// <summary>A key or member as a POSIX shell word: single-quoted (a quote inside becomes '\'').</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>One <c>redis-cli</c> command and what it answered.</summary>
internal sealed record RedisCliLine(string Command, string Reply);
