using Microsoft.Extensions.Logging;

namespace RedisSessions.Termination;

// Structured log messages of the termination dispatcher (event ids 120-139; SessionManager uses 1-99).
internal sealed partial class TerminationDispatcher
{
    private static partial class Log
    {
        [LoggerMessage(120, LogLevel.Warning, "Could not acknowledge the termination of session {SessionId} (its callbacks ran); retrying", EventName = "AcknowledgeFailed")]
        public static partial void AcknowledgeFailed(ILogger logger, Exception exception, string sessionId);

        [LoggerMessage(121, LogLevel.Error, "Gave up acknowledging the termination of session {SessionId} after {Elapsed}: its lease has run out, another process may run its callbacks again", EventName = "AcknowledgeAbandoned")]
        public static partial void AcknowledgeAbandoned(ILogger logger, string sessionId, TimeSpan elapsed);

        [LoggerMessage(122, LogLevel.Warning, "Could not hand back the termination of session {SessionId}; another process takes it when the lease runs out", EventName = "ReleaseFailed")]
        public static partial void ReleaseFailed(ILogger logger, Exception exception, string sessionId);

        [LoggerMessage(123, LogLevel.Warning, "The lease on the termination of session {SessionId} ran out before this process was done (was it frozen?): another process has taken it over; this one neither starts nor acknowledges it", EventName = "LeaseTakenOver")]
        public static partial void TakenOver(ILogger logger, string sessionId);

        [LoggerMessage(124, LogLevel.Warning, "Could not renew termination leases of tag {Tag}; retrying", EventName = "LeaseRenewFailed")]
        public static partial void RenewFailed(ILogger logger, Exception exception, string tag);

        [LoggerMessage(125, LogLevel.Error, "{Count} ended session(s) of tag {Tag} waited longer than TerminatedSessionRetention for a handler: their snapshots expired and their callbacks never ran", EventName = "SnapshotsLost")]
        public static partial void SnapshotsLost(ILogger logger, int count, string tag);

        [LoggerMessage(126, LogLevel.Warning, "Stopping with {InFlight} termination(s) still running; cancelling their callbacks and handing them back", EventName = "StopGraceOver")]
        public static partial void GraceOver(ILogger logger, int inFlight);

        [LoggerMessage(127, LogLevel.Information, "Handed {Count} termination(s) back to the farm", EventName = "HandedBack")]
        public static partial void HandedBack(ILogger logger, long count);

        [LoggerMessage(128, LogLevel.Error, "Termination callback failed for session {SessionId} ({Reason})", EventName = "CallbackFailed")]
        public static partial void CallbackFailed(ILogger logger, Exception exception, string sessionId, TerminationReason reason);

        [LoggerMessage(129, LogLevel.Information, "Session {SessionId} of user {UserId} terminated: {Reason} (attempt {Attempt})", EventName = "SessionTerminated")]
        public static partial void Terminated(ILogger logger, string sessionId, string userId, TerminationReason reason, long attempt);

        [LoggerMessage(130, LogLevel.Warning, "Could not append the termination of session {SessionId} to the event stream", EventName = "EventAppendFailed")]
        public static partial void EventAppendFailed(ILogger logger, Exception exception, string sessionId);
    }
}
