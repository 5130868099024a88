using Microsoft.Extensions.Logging;

namespace RedisSessions.AspNetCore.Authentication;

// Structured log messages of the ticket store (event ids 1000-1019). Never log tickets, claims or data values.
// 1014 (ReasonUnavailable) is retired: the reason a session ended comes from the same read as the session.
internal sealed partial class RedisTicketStore
{
    private static partial class Log
    {
        [LoggerMessage(1000, LogLevel.Information, "User {UserId} signed in with session {SessionId} (scheme {Scheme})", EventName = "SignedIn")]
        public static partial void SignedIn(ILogger logger, string userId, string sessionId, string scheme);

        [LoggerMessage(1001, LogLevel.Warning, "Sign-in of user {UserId} refused: {ActiveSessions} live sessions, MaxSessionsPerUser {MaxSessions} with LimitPolicy RejectNew (scheme {Scheme})", EventName = "SignInRefused")]
        public static partial void SignInRefused(ILogger logger, string userId, int activeSessions, int maxSessions, string scheme);

        [LoggerMessage(1002, LogLevel.Error, "Redis unreachable while loading session {SessionId} (scheme {Scheme}): the request is treated as not signed in (fail closed); the cookie is kept", EventName = "AuthenticateUnavailable")]
        public static partial void RetrieveUnavailable(ILogger logger, Exception exception, string sessionId, string scheme);

        [LoggerMessage(1003, LogLevel.Error, "Redis unreachable: sign-in of user {UserId} failed (scheme {Scheme})", EventName = "SignInUnavailable")]
        public static partial void SignInUnavailable(ILogger logger, Exception exception, string userId, string scheme);

        [LoggerMessage(1004, LogLevel.Error, "Redis unreachable: session {SessionId} could not be ended at sign-out (scheme {Scheme})", EventName = "SignOutUnavailable")]
        public static partial void SignOutUnavailable(ILogger logger, Exception exception, string sessionId, string scheme);

        [LoggerMessage(1005, LogLevel.Information, "Session {SessionId} has ended ({Reason}): the request is not signed in (scheme {Scheme})", EventName = "SessionEnded")]
        public static partial void SessionEnded(ILogger logger, string sessionId, string reason, string scheme);

        [LoggerMessage(1006, LogLevel.Warning, "Authentication cookie refused ({Cause}) for session id {SessionId}: the request is not signed in (scheme {Scheme})", EventName = "CookieRejected")]
        public static partial void CookieRejected(ILogger logger, string cause, string sessionId, string scheme);

        [LoggerMessage(1007, LogLevel.Warning, "The ticket of session {SessionId} can't be read (another application or scheme, or Data Protection keys this node does not have): the request is not signed in (scheme {Scheme})", EventName = "TicketUnreadable")]
        public static partial void TicketUnreadable(ILogger logger, Exception exception, string sessionId, string scheme);

        [LoggerMessage(1008, LogLevel.Information, "User {UserId} signed in again on a signed-in browser: session {OldSessionId} ended, new session {SessionId} (scheme {Scheme})", EventName = "SessionReplaced")]
        public static partial void SessionReplaced(ILogger logger, string userId, string oldSessionId, string sessionId, string scheme);

        [LoggerMessage(1009, LogLevel.Debug, "Session {SessionId} not renewed: it has ended, and a renewal never brings a session back (scheme {Scheme})", EventName = "NotRenewed")]
        public static partial void NotRenewed(ILogger logger, string sessionId, string scheme);

        [LoggerMessage(1010, LogLevel.Warning, "Session {SessionId} of user {UserId} was renewed with a ticket of user {TicketUserId}: the session is ended (scheme {Scheme})", EventName = "RenewedForAnotherUser")]
        public static partial void RenewedForAnotherUser(ILogger logger, string sessionId, string userId, string ticketUserId, string scheme);

        [LoggerMessage(1011, LogLevel.Information, "Session {SessionId} signed out (ended now: {Ended}) (scheme {Scheme})", EventName = "SignedOut")]
        public static partial void SignedOut(ILogger logger, string sessionId, bool ended, string scheme);

        [LoggerMessage(1012, LogLevel.Warning, "CookieAuthenticationOptions.CookieManager of scheme {Scheme} was replaced after AddRedisSessionStore: a sign-in on a browser that is already signed in keeps the session id (or, for another user, signs the browser out) instead of getting a new one", EventName = "CookieManagerReplaced")]
        public static partial void CookieManagerReplaced(ILogger logger, string scheme);

        [LoggerMessage(1013, LogLevel.Warning, "Session state of user {UserId}'s browser is too large to move into the new session: signed in without it (scheme {Scheme})", EventName = "StateNotCarried")]
        public static partial void StateNotCarried(ILogger logger, Exception exception, string userId, string scheme);
    }
}
