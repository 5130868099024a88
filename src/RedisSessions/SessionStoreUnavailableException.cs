namespace RedisSessions;

/// <summary>Redis could not be reached (or did not answer in time). The operation was not applied, or was applied
/// whole: every write is one atomic script. The connection recovers by itself when Redis is back.</summary>
public sealed class SessionStoreUnavailableException : SessionException
{
    /// <summary>Creates the exception with a message and the Redis client's error.</summary>
    public SessionStoreUnavailableException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a message.</summary>
    public SessionStoreUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with a default message.</summary>
    public SessionStoreUnavailableException() : base("Redis is unreachable.") { }
}
