namespace RedisSessions.Examples;

/// <summary>Something an example demonstrates did not happen. The example prints the message and exits with code 1,
/// so CI running the examples notices.</summary>
internal sealed class ExampleFailedException : Exception
{
    public ExampleFailedException(string message) : base(message)
    {
    }

    public ExampleFailedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ExampleFailedException()
    {
    }
}
