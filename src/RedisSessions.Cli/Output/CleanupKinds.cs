using RedisSessions.Administration;

namespace RedisSessions.Cli.Output;

/// <summary>How <c>cleanup</c> names each <see cref="CleanupKind"/>: its JSON name, a few words for the table, and what
/// the repair does.</summary>
internal static class CleanupKinds
{
    public static string Name(CleanupKind kind) => kind switch
    {
        CleanupKind.StaleIndexEntry => "stale_index_entry",
        CleanupKind.OrphanedDueEntry => "orphaned_due_entry",
        CleanupKind.DueScoreMismatch => "due_score_mismatch",
        CleanupKind.UnscheduledUser => "unscheduled_user",
        CleanupKind.UnindexedSession => "unindexed_session",
        CleanupKind.StalePendingEntry => "stale_pending_entry",
        CleanupKind.UnqueuedSnapshot => "unqueued_snapshot",
        CleanupKind.WakeMismatch => "wake_mismatch",
        CleanupKind.CounterMismatch => "counter_mismatch",
        CleanupKind.OverdueSession => "overdue_session",
        _ => kind.ToString(),
    };

    public static string Describe(CleanupKind kind) => kind switch
    {
        CleanupKind.StaleIndexEntry => "stale index entry",
        CleanupKind.OrphanedDueEntry => "orphaned due entry",
        CleanupKind.DueScoreMismatch => "wrong due score",
        CleanupKind.UnscheduledUser => "unscheduled user",
        CleanupKind.UnindexedSession => "unindexed session",
        CleanupKind.StalePendingEntry => "stale pending entry",
        CleanupKind.UnqueuedSnapshot => "unqueued snapshot",
        CleanupKind.WakeMismatch => "late wake key",
        CleanupKind.CounterMismatch => "wrong counter",
        CleanupKind.OverdueSession => "session past its time",
        _ => kind.ToString(),
    };

    public static string Action(CleanupKind kind) => kind switch
    {
        CleanupKind.StaleIndexEntry => "remove the entry",
        CleanupKind.OrphanedDueEntry => "remove the member",
        CleanupKind.DueScoreMismatch => "re-score it",
        CleanupKind.UnscheduledUser => "list the user in the due index",
        CleanupKind.UnindexedSession => "list it in its user's index",
        CleanupKind.StalePendingEntry => "remove the entry",
        CleanupKind.UnqueuedSnapshot => "hand it to the handlers",
        CleanupKind.WakeMismatch => "re-arm it (sweep the tag)",
        CleanupKind.CounterMismatch => "recount the tag, write it",
        CleanupKind.OverdueSession => "end it (sweep: reason expired; callbacks run in a listener)",
        _ => kind.ToString(),
    };
}
