namespace RedisSessions.Cli.Inspection;

/// <summary>One thing <c>cleanup</c> will fix. <see cref="Kind"/> is one of the <see cref="CleanupKinds"/>. Items about
/// a user's index entry (not one session) have no <see cref="SessionId"/>; <see cref="UserPart"/> is the entry's name in
/// the bucket's users hash and expiry zset (the user id, or '#' + SHA-1 for long or unusual ids).</summary>
internal sealed record CleanupItem(string Kind, string Bucket, string? SessionId, string Key, string Detail, string? UserPart = null);

/// <summary>The kinds of problems <c>cleanup</c> fixes, grouped as the issue names them: stale index entries, sessions
/// past their time, orphaned keys.</summary>
internal static class CleanupKinds
{
    /// <summary>A session whose time is up that nobody ended: ended now through the library's sweep (reason expired),
    /// its termination left pending for the listeners' callbacks.</summary>
    public const string OverdueSession = "overdue_session";

    /// <summary>An expiry zset member whose user has no entry in the users hash.</summary>
    public const string StaleExpiryEntry = "stale_expiry_entry";

    /// <summary>A user whose expiry zset member is missing or later than the earliest expiry of its sessions: the sweep
    /// would visit it late (or never). Re-scored to that earliest expiry.</summary>
    public const string StaleExpiryScore = "stale_expiry_score";

    /// <summary>A pending termination whose ended snapshot is gone: no handler can ever run it.</summary>
    public const string StalePendingEntry = "stale_pending_entry";

    /// <summary>A session id listed in a user's entry of the users hash whose session hash is gone.</summary>
    public const string StaleUserEntry = "stale_user_entry";

    /// <summary>An ended snapshot no pending entry points to: no handler will take it.</summary>
    public const string OrphanSnapshot = "orphan_snapshot";

    /// <summary>A session hash its user's entry doesn't list: put back into the users hash and expiry zset (or deleted
    /// when it has no user, created or expiry field, i.e. isn't a session).</summary>
    public const string UnindexedSession = "unindexed_session";

    public static string Group(string kind) => kind switch
    {
        OverdueSession => "sessions past their time",
        OrphanSnapshot or UnindexedSession => "orphaned keys",
        _ => "stale index entries",
    };

    public static string Describe(string kind) => kind switch
    {
        OverdueSession => "session past its time",
        StaleExpiryEntry => "stale expiry entry",
        StaleExpiryScore => "stale expiry score",
        StalePendingEntry => "stale pending entry",
        StaleUserEntry => "stale user entry",
        OrphanSnapshot => "orphaned snapshot",
        UnindexedSession => "unindexed session",
        _ => kind,
    };

    public static string Action(string kind) => kind switch
    {
        OverdueSession => "end it (reason expired; callbacks run in a listener)",
        StaleExpiryScore => "re-score it",
        UnindexedSession => "put it back in the index",
        OrphanSnapshot => "delete the key",
        StaleUserEntry => "remove the id from the entry",
        _ => "remove the entry",
    };
}
