namespace RedisSessions;

/// <summary>The user already has <see cref="SessionOptions.MaxSessionsPerUser"/> live sessions and the policy is
/// <see cref="SessionLimitPolicy.RejectNew"/>. Nothing was written.</summary>
public sealed class SessionLimitExceededException : SessionException
{
    /// <summary>Creates the exception for <paramref name="userId"/>.</summary>
    public SessionLimitExceededException(string userId, int activeSessions, int maxSessionsPerUser)
        : base($"User already has {activeSessions} active session(s); MaxSessionsPerUser is {maxSessionsPerUser} and LimitPolicy is RejectNew.")
    {
        UserId = userId;
        ActiveSessions = activeSessions;
        MaxSessionsPerUser = maxSessionsPerUser;
    }

    /// <summary>Creates the exception with a message.</summary>
    public SessionLimitExceededException(string message) : base(message) => UserId = string.Empty;

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SessionLimitExceededException(string message, Exception innerException) : base(message, innerException) => UserId = string.Empty;

    /// <summary>Creates the exception with a default message.</summary>
    public SessionLimitExceededException() : base("The user has reached the session limit.") => UserId = string.Empty;

    /// <summary>The user that hit the limit.</summary>
    public string UserId { get; }

    /// <summary>How many live sessions the user had.</summary>
    public int ActiveSessions { get; }

    /// <summary>The configured limit.</summary>
    public int MaxSessionsPerUser { get; }
}
