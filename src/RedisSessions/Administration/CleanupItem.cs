namespace RedisSessions.Administration;

/// <summary>One thing a cleanup plan will repair.</summary>
public sealed class CleanupItem
{
    internal CleanupItem(CleanupKind kind, string tag, string key, string? sessionId, string? userMember, string detail)
    {
        Kind = kind;
        Tag = tag;
        Key = key;
        SessionId = sessionId;
        UserMember = userMember;
        Detail = detail;
    }

    /// <summary>What is wrong.</summary>
    public CleanupKind Kind { get; }

    /// <summary>The hash tag of the keys involved.</summary>
    public string Tag { get; }

    /// <summary>The key the repair changes (an index, a counter, the session hash).</summary>
    public string Key { get; }

    /// <summary>The session concerned, when the item is about one.</summary>
    public string? SessionId { get; }

    /// <summary>The user concerned, as its keys name it (the id, escaped or hashed when it isn't short and plain).</summary>
    public string? UserMember { get; }

    /// <summary>What was found, in a sentence.</summary>
    public string Detail { get; }

    /// <summary>StaleIndexEntry: 'gone', 'ended' or 'foreign'.</summary>
    internal string Finding { get; init; } = string.Empty;

    /// <summary>StaleIndexEntry 'foreign': the user the hash names. UnindexedSession: the session's user.</summary>
    internal string OtherUser { get; init; } = string.Empty;
}
