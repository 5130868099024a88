using Microsoft.Extensions.Logging;

namespace RedisSessions;

// Structured log messages. Never log data values: they may hold anything the application put in a session.
public sealed partial class SessionManager
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Session {SessionId} created for user {UserId} on node {Node}, expires {ExpiresAt:O}", EventName = "SessionCreated")]
        public static partial void SessionCreated(ILogger logger, string sessionId, string userId, string node, DateTimeOffset expiresAt);

        [LoggerMessage(2, LogLevel.Debug, "Session {SessionId} renewed until {ExpiresAt:O}", EventName = "SessionRenewed")]
        public static partial void SessionRenewed(ILogger logger, string sessionId, DateTimeOffset expiresAt);

        [LoggerMessage(3, LogLevel.Information, "Session {SessionId} of user {UserId} terminated: {Reason}", EventName = "SessionTerminated")]
        public static partial void SessionTerminated(ILogger logger, string sessionId, string userId, TerminationReason reason);

        [LoggerMessage(4, LogLevel.Warning, "Login of user {UserId} refused: {ActiveSessions} active sessions, limit {MaxSessions}", EventName = "SessionLimitReached")]
        public static partial void SessionLimitReached(ILogger logger, string userId, int activeSessions, int maxSessions);

        [LoggerMessage(5, LogLevel.Error, "Termination callback failed for session {SessionId} ({Reason})", EventName = "CallbackFailed")]
        public static partial void CallbackFailed(ILogger logger, Exception exception, string sessionId, TerminationReason reason);

        [LoggerMessage(6, LogLevel.Information, "Sweep ended {Expired} expired session(s) and handled {Handled} termination(s) in {ElapsedMs} ms", EventName = "SweepCompleted")]
        public static partial void SweepCompleted(ILogger logger, int expired, int handled, long elapsedMs);

        [LoggerMessage(7, LogLevel.Warning, "Background sweep failed; retrying in {Delay}", EventName = "SweepFailed")]
        public static partial void SweepFailed(ILogger logger, Exception exception, TimeSpan delay);

        [LoggerMessage(8, LogLevel.Information, "Auto cleanup started on node {Node}: sweep every {Interval}", EventName = "AutoCleanupStarted")]
        public static partial void AutoCleanupStarted(ILogger logger, string node, TimeSpan interval);

        [LoggerMessage(9, LogLevel.Information, "Session manager on node {Node} shut down", EventName = "ShutDown")]
        public static partial void ShutDown(ILogger logger, string node);

        [LoggerMessage(10, LogLevel.Warning, "Redis unreachable during {Operation}", EventName = "RedisUnavailable")]
        public static partial void RedisUnavailable(ILogger logger, Exception exception, string operation);

        [LoggerMessage(11, LogLevel.Information, "Session {SessionId} rotated to {NewSessionId}", EventName = "SessionRotated")]
        public static partial void SessionRotated(ILogger logger, string sessionId, string newSessionId);

        [LoggerMessage(12, LogLevel.Warning, "Could not append termination of session {SessionId} to the event stream", EventName = "EventAppendFailed")]
        public static partial void EventAppendFailed(ILogger logger, Exception exception, string sessionId);
    }
}

public sealed partial class SessionManager
{
    internal void LogCallbackFailed(Exception exception, string sessionId, TerminationReason reason) => Log.CallbackFailed(_logger, exception, sessionId, reason);

    internal void LogTerminated(string sessionId, string userId, TerminationReason reason) => Log.SessionTerminated(_logger, sessionId, userId, reason);

    internal void LogEventAppendFailed(Exception exception, string sessionId) => Log.EventAppendFailed(_logger, exception, sessionId);

    internal void LogSweepFailed(Exception exception, TimeSpan delay) => Log.SweepFailed(_logger, exception, delay);

    internal void LogAutoCleanupStarted() => Log.AutoCleanupStarted(_logger, _options.NodeName, _options.CleanupInterval);
}

public sealed partial class SessionManager
{
    private static partial class Log
    {
        [LoggerMessage(15, LogLevel.Warning, "Could not check which of this node's sessions ended elsewhere (TerminateOnShutdown); will retry when more are created", EventName = "OwnSessionsPruneFailed")]
        public static partial void OwnSessionsPruneFailed(ILogger logger, Exception exception);
    }
}
