namespace RedisSessions;

/// <summary>Why a session ended.</summary>
public enum TerminationReason
{
    /// <summary>No activity for <see cref="SessionOptions.InactiveTimeout"/>.</summary>
    Expired = 0,

    /// <summary>The session reached <see cref="SessionOptions.AbsoluteTimeout"/> after its creation.</summary>
    AbsoluteTimeout = 1,

    /// <summary>The application terminated it (logout, <c>TerminateSessionAsync</c>,
    /// <c>TerminateUserSessionsAsync</c>).</summary>
    Terminated = 2,

    /// <summary>A newer session of the same user pushed it out (<see cref="SessionLimitPolicy.EvictOldest"/>).</summary>
    Evicted = 3,

    /// <summary>The node that owned it shut down gracefully with <see cref="SessionOptions.TerminateOnShutdown"/> on.</summary>
    Shutdown = 4,

    /// <summary>An operator ended it (the <c>redis-sessions</c> CLI).</summary>
    Admin = 5,
}
