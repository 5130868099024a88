using Microsoft.Extensions.Logging;

namespace RedisSessions.Internal;

// Structured log messages of the termination pipeline (event ids 120-129; SessionManager uses 1-99).
internal sealed partial class TerminationPipeline
{
    private static partial class Log
    {
        [LoggerMessage(120, LogLevel.Warning, "Could not acknowledge the termination of session {SessionId} (its callbacks ran); retrying", EventName = "AcknowledgeFailed")]
        public static partial void AcknowledgeFailed(ILogger logger, Exception exception, string sessionId);

        [LoggerMessage(121, LogLevel.Error, "Gave up acknowledging the termination of session {SessionId} after {Limit} (acknowledged: {Acknowledged}, in the stream: {Appended}); another process may run its callbacks again", EventName = "AcknowledgeAbandoned")]
        public static partial void AcknowledgeAbandoned(ILogger logger, string sessionId, bool acknowledged, bool appended, TimeSpan limit);

        [LoggerMessage(122, LogLevel.Warning, "Could not hand back the termination of session {SessionId}; another process takes it when the claim runs out", EventName = "ReleaseFailed")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception, string sessionId);
    }
}
