namespace RedisSessions.Cli;

/// <summary>The process exit codes of <c>redis-sessions</c>; scripts rely on them, so they never change meaning.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The session named on the command line is not an active session (unknown, malformed, past its time or
    /// ended; <c>show</c> still prints what Redis holds about it).</summary>
    public const int NotFound = 1;

    /// <summary>The command line is wrong (unknown option, bad value, missing confirmation), or so is the configuration.</summary>
    public const int Usage = 2;

    /// <summary>Redis can't be reached.</summary>
    public const int Unreachable = 3;

    /// <summary><c>doctor</c> found a problem (a WARN or FAIL check).</summary>
    public const int ProblemsFound = 4;

    /// <summary>Anything else went wrong (Redis answered with an error, ...).</summary>
    public const int Failed = 5;

    /// <summary>Interrupted (Ctrl+C) before the command finished; <c>events --follow</c> ends with 0 instead, as Ctrl+C
    /// is how it is meant to stop.</summary>
    public const int Interrupted = 130;
}
