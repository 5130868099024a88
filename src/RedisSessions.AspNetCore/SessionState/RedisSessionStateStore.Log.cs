using Microsoft.Extensions.Logging;

namespace RedisSessions.AspNetCore.SessionState;

// Structured log messages of HttpContext.Session (event ids 1020-1039). Never log the values.
internal sealed partial class RedisSessionStateStore
{
    internal static partial class Log
    {
        [LoggerMessage(1020, LogLevel.Error, "Redis unreachable while loading session state {StateId}: HttpContext.Session is unavailable for this request", EventName = "StateLoadUnavailable")]
        public static partial void LoadUnavailable(ILogger logger, Exception exception, string stateId);

        [LoggerMessage(1021, LogLevel.Error, "Redis unreachable: the session state changes of this request ({Changes} key(s)) were not saved (state {StateId})", EventName = "StateCommitUnavailable")]
        public static partial void CommitUnavailable(ILogger logger, Exception exception, int changes, string stateId);

        [LoggerMessage(1022, LogLevel.Error, "The session state changes of this request were not saved: the session's data would exceed MaxDataBytes (state {StateId})", EventName = "StateTooLarge")]
        public static partial void CommitTooLarge(ILogger logger, Exception exception, string stateId);

        [LoggerMessage(1023, LogLevel.Warning, "The session state changes of this request ({Changes} key(s)) were not saved: the sign-in session {SessionId} ended meanwhile", EventName = "StateSessionEnded")]
        public static partial void SignedInSessionEnded(ILogger logger, int changes, string sessionId);

        [LoggerMessage(1024, LogLevel.Information, "Two first requests of one browser each created a state session: {SessionId} merged into {KeptSessionId}", EventName = "StateSessionsMerged")]
        public static partial void AnonymousSessionsMerged(ILogger logger, string sessionId, string keptSessionId);

        [LoggerMessage(1025, LogLevel.Warning, "Loading session state {StateId} timed out after {Timeout}: HttpContext.Session is unavailable for this request", EventName = "StateLoadTimedOut")]
        public static partial void LoadTimedOut(ILogger logger, string stateId, TimeSpan timeout);

        [LoggerMessage(1026, LogLevel.Warning, "Session state value {Key} is not valid base64 and is ignored (state {StateId})", EventName = "StateValueUnreadable")]
        public static partial void ValueUnreadable(ILogger logger, string key, string stateId);

        [LoggerMessage(1027, LogLevel.Warning, "Redis unreachable: the browser's pre-sign-in state session {SessionId} could not be ended; it expires by itself", EventName = "StateHandOverUnavailable")]
        public static partial void HandOverUnavailable(ILogger logger, Exception exception, string sessionId);
    }
}
