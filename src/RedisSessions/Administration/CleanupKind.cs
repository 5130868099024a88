namespace RedisSessions.Administration;

/// <summary>The kinds of damage <see cref="SessionAdmin.PlanCleanupAsync"/> finds and <see cref="SessionAdmin.ApplyCleanupAsync"/>
/// repairs. Each repair runs as one script that checks, inside Redis, that what it fixes is still as the plan found it.</summary>
public enum CleanupKind
{
    /// <summary>An entry of a user's index (<c>{prefix}:{tag}:user:{user}</c>) that names no live session of that user:
    /// its hash is gone (it ran out before any sweep), it ended, or it belongs to another user. Removed; the due index
    /// follows.</summary>
    StaleIndexEntry = 0,

    /// <summary>A due-index member whose user's index is empty or missing. Removed.</summary>
    OrphanedDueEntry = 1,

    /// <summary>A due-index member whose score is not its user's earliest expiry: the sweep visits the user late (or
    /// needlessly early). Re-scored.</summary>
    DueScoreMismatch = 2,

    /// <summary>A user's index the due index doesn't list (found by the keyspace scan only): no sweep ever visits its
    /// sessions. Listed.</summary>
    UnscheduledUser = 3,

    /// <summary>A live session its user's index doesn't list (keyspace scan only): no sweep ends it, no limit counts it.
    /// Listed again.</summary>
    UnindexedSession = 4,

    /// <summary>A pending termination whose snapshot is gone: no handler can ever run it. Removed.</summary>
    StalePendingEntry = 5,

    /// <summary>An ended session's snapshot no pending entry points to (keyspace scan only): no handler would ever run
    /// its callbacks. Handed back to the handlers (ready for any of them).</summary>
    UnqueuedSnapshot = 6,

    /// <summary>A tag whose wake key is missing or expires after the tag's next deadline: its sessions end late (at the
    /// deadline schedule or the periodic sweep). Re-armed by a sweep of the tag.</summary>
    WakeMismatch = 7,

    /// <summary>A tag's sessions counter (<c>{prefix}:{tag}:sessions</c>, what stats add up) that disagrees with the
    /// entries of the tag's user indexes. Recounted (a walk of the tag) and written, unless a session was created or
    /// ended in the tag meanwhile.</summary>
    CounterMismatch = 8,

    /// <summary>A session whose time is up that nothing ended (no process runs the sweep, or it fell behind). Ended by a
    /// sweep of its tag (reason expired or absolute_timeout); its callbacks run in a process with handlers.</summary>
    OverdueSession = 9,
}
