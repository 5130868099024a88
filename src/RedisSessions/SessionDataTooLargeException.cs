namespace RedisSessions;

/// <summary>Session data would exceed <see cref="SessionOptions.MaxDataBytes"/>. Nothing was written.</summary>
public sealed class SessionDataTooLargeException : SessionException
{
    /// <summary>Creates the exception for a data set of <paramref name="size"/> bytes.</summary>
    public SessionDataTooLargeException(long size, int limit)
        : base($"Session data would be {size} bytes (UTF-8 keys and values), over SessionOptions.MaxDataBytes = {limit}. Nothing was written.")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>Creates the exception with a message.</summary>
    public SessionDataTooLargeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SessionDataTooLargeException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a default message.</summary>
    public SessionDataTooLargeException() : base("Session data is too large.") { }

    /// <summary>The size the data would have had, in bytes.</summary>
    public long Size { get; }

    /// <summary>The configured limit, in bytes.</summary>
    public int Limit { get; }
}
