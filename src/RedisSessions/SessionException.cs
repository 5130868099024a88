namespace RedisSessions;

/// <summary>Base class of the errors RedisSessions reports (other than argument errors, which are
/// <see cref="ArgumentException"/>).</summary>
public class SessionException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public SessionException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public SessionException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with a default message.</summary>
    public SessionException() : base("A session operation failed.") { }
}
