namespace RedisSessions.Cli;

/// <summary>An error meant for the operator: its message is printed as one line and the process exits with
/// <see cref="ExitCode"/>, never with a stack trace.</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException) => ExitCode = exitCode;

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException NotFound(string message) => new(ExitCodes.NotFound, message);
}
