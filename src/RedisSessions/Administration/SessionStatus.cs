namespace RedisSessions.Administration;

/// <summary>What a session id names in Redis right now (<see cref="SessionInspection.Status"/>).</summary>
public enum SessionStatus
{
    /// <summary>No key: the id never named a session, or Redis has forgotten it (its snapshot and notice are gone).</summary>
    NotFound = 0,

    /// <summary>A live session whose time is not up.</summary>
    Active = 1,

    /// <summary>A session whose time is up that no sweep or use has ended yet (cleanup ends it).</summary>
    Overdue = 2,

    /// <summary>Ended: the hash is the termination's snapshot, waiting for (or held by) a handler.</summary>
    Ended = 3,

    /// <summary>Ended and handled: only the notice of why it ended is left (<see cref="SessionOptions.TerminationNoticePeriod"/>).</summary>
    Handled = 4,

    /// <summary>A key that is not a session hash (no <c>user</c> and no <c>ended</c> field): written by something else.</summary>
    Unrecognized = 5,
}
