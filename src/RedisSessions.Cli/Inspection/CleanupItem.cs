namespace RedisSessions.Cli.Inspection;

/// <summary>One thing <c>cleanup</c> will fix. <see cref="Kind"/> is one of the <see cref="CleanupKinds"/>.</summary>
internal sealed record CleanupItem(string Kind, string Bucket, string SessionId, string Key, string Detail);

/// <summary>The kinds of problems <c>cleanup</c> fixes, grouped as the issue names them: stale index entries, sessions
/// past their time, orphaned keys.</summary>
internal static class CleanupKinds
{
    /// <summary>A session whose time is up that nobody ended: ended now through the library's sweep (reason expired),
    /// its termination left pending for the listeners' callbacks.</summary>
    public const string OverdueSession = "overdue_session";

    /// <summary>An expiry index entry whose session hash is gone.</summary>
    public const string StaleExpiryEntry = "stale_expiry_entry";

    /// <summary>An expiry index entry scored before its session's real expiry: re-scored by the sweep.</summary>
    public const string StaleExpiryScore = "stale_expiry_score";

    /// <summary>A pending termination whose ended snapshot is gone: no handler can ever run it.</summary>
    public const string StalePendingEntry = "stale_pending_entry";

    /// <summary>A user index entry whose session hash is gone.</summary>
    public const string StaleUserEntry = "stale_user_entry";

    /// <summary>A timer key whose session hash is gone.</summary>
    public const string OrphanTimer = "orphan_timer";

    /// <summary>An ended snapshot no pending entry points to: no handler will take it.</summary>
    public const string OrphanSnapshot = "orphan_snapshot";

    /// <summary>A session hash its bucket's expiry index doesn't list: put back into the index (or deleted when it has
    /// no user or expiry, i.e. isn't a session).</summary>
    public const string UnindexedSession = "unindexed_session";

    public static string Group(string kind) => kind switch
    {
        OverdueSession => "sessions past their time",
        OrphanTimer or OrphanSnapshot or UnindexedSession => "orphaned keys",
        _ => "stale index entries",
    };

    public static string Describe(string kind) => kind switch
    {
        OverdueSession => "session past its time",
        StaleExpiryEntry => "stale expiry entry",
        StaleExpiryScore => "stale expiry score",
        StalePendingEntry => "stale pending entry",
        StaleUserEntry => "stale user entry",
        OrphanTimer => "orphaned timer",
        OrphanSnapshot => "orphaned snapshot",
        UnindexedSession => "unindexed session",
        _ => kind,
    };

    public static string Action(string kind) => kind switch
    {
        OverdueSession => "end it (reason expired; callbacks run in a listener)",
        StaleExpiryScore => "re-score it",
        UnindexedSession => "put it back in the index",
        OrphanTimer or OrphanSnapshot => "delete the key",
        _ => "remove the entry",
    };
}
