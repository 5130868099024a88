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

        [LoggerMessage(4, LogLevel.Warning, "Login of user {UserId} refused: {ActiveSessions} active sessions, limit {MaxSessions}", EventName = "SessionLimitReached")]
        public static partial void SessionLimitReached(ILogger logger, string userId, int activeSessions, int maxSessions);

        [LoggerMessage(6, LogLevel.Information, "Sweep ended {Expired} expired session(s) and handled {Handled} termination(s) in {ElapsedMs} ms", EventName = "SweepCompleted")]
        public static partial void SweepCompleted(ILogger logger, int expired, int handled, long elapsedMs);

        [LoggerMessage(9, LogLevel.Information, "Session manager on node {Node} shut down", EventName = "ShutDown")]
        public static partial void ShutDown(ILogger logger, string node);

        [LoggerMessage(10, LogLevel.Warning, "Redis unreachable during {Operation}", EventName = "RedisUnavailable")]
        public static partial void RedisUnavailable(ILogger logger, Exception exception, string operation);

        [LoggerMessage(12, LogLevel.Error, "Redis refused {Operation} for this connection's user: {Problem}", EventName = "RedisAccessDenied")]
        public static partial void AccessDenied(ILogger logger, Exception exception, string operation, string problem);

        [LoggerMessage(11, LogLevel.Information, "Session {SessionId} rotated to {NewSessionId}", EventName = "SessionRotated")]
        public static partial void SessionRotated(ILogger logger, string sessionId, string newSessionId);

        [LoggerMessage(15, LogLevel.Warning, "Could not check which of this node's sessions ended elsewhere (TerminateOnShutdown); will retry when more are created", EventName = "OwnSessionsPruneFailed")]
        public static partial void OwnSessionsPruneFailed(ILogger logger, Exception exception);
    }
}
