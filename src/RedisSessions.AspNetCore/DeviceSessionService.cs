using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RedisSessions.AspNetCore;

/// <summary>
/// "Your devices": the signed-in user's sessions, and ending them. The user is the one of the request's live session
/// (<see cref="RedisSessionsFeature.Session"/>, as Redis knows it, not a claim the app could have changed), so a
/// request can only ever list and end sessions of its own user; a request that is not signed in through the ticket
/// store sees nothing and ends nothing. Registered by <c>AddRedisSessionStore</c>.
/// </summary>
public sealed partial class DeviceSessionService
{
    private readonly SessionManager _sessions;
    private readonly ILogger _logger;

    internal DeviceSessionService(SessionManager sessions, ILogger<DeviceSessionService> logger)
    {
        _sessions = sessions;
        _logger = logger;
    }

    /// <summary>The current user's live sessions, oldest first; empty when the request is not signed in.</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<IReadOnlyList<DeviceSession>> GetDevicesAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        if (CurrentOf(context) is not { } current)
        {
            return [];
        }
        var sessions = await _sessions.GetUserSessionsAsync(current.UserId, cancellationToken).ConfigureAwait(false);
        return sessions.Select(s => new DeviceSession(s, string.Equals(s.SessionId, current.SessionId, StringComparison.Ordinal))).ToList();
    }

    /// <summary>Ends one of the current user's sessions (reason <see cref="TerminationReason.Terminated"/>); that
    /// browser is signed out on its next request. False, and nothing changes, when the request is not signed in, or the
    /// id is not a live session of this user — a session of another user is never ended, whatever id is sent.</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<bool> EndDeviceAsync(HttpContext context, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        if (CurrentOf(context) is not { } current || string.IsNullOrWhiteSpace(sessionId))
        {
            return false;
        }
        var target = await _sessions.PeekSessionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            return false;
        }
        if (!string.Equals(target.UserId, current.UserId, StringComparison.Ordinal))
        {
            Log.ForeignSessionRefused(_logger, current.UserId, current.SessionId);
            return false;
        }
        var ended = await _sessions.TerminateSessionAsync(sessionId, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
        if (ended)
        {
            Log.DeviceEnded(_logger, sessionId, current.UserId, current.SessionId);
        }
        return ended;
    }

    /// <summary>Ends every session of the current user but this browser's ("sign out everywhere else"). Returns how many
    /// ended; 0 when the request is not signed in.</summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<int> EndOtherDevicesAsync(HttpContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        if (CurrentOf(context) is not { } current)
        {
            return 0;
        }
        var ended = await _sessions.TerminateUserSessionsAsync(current.UserId, TerminationReason.Terminated, current.SessionId, cancellationToken).ConfigureAwait(false);
        Log.OtherDevicesEnded(_logger, ended, current.UserId, current.SessionId);
        return ended;
    }

    private static Session? CurrentOf(HttpContext context) => context.Features.Get<RedisSessionsFeature>()?.Session;

    private static partial class Log
    {
        [LoggerMessage(1040, LogLevel.Information, "Session {SessionId} of user {UserId} ended from the devices page of session {CurrentSessionId}", EventName = "DeviceEnded")]
        public static partial void DeviceEnded(ILogger logger, string sessionId, string userId, string currentSessionId);

        [LoggerMessage(1041, LogLevel.Information, "{Count} other session(s) of user {UserId} ended from the devices page of session {CurrentSessionId}", EventName = "OtherDevicesEnded")]
        public static partial void OtherDevicesEnded(ILogger logger, int count, string userId, string currentSessionId);

        [LoggerMessage(1042, LogLevel.Warning, "User {UserId} (session {CurrentSessionId}) asked to end a session of another user: refused", EventName = "ForeignSessionRefused")]
        public static partial void ForeignSessionRefused(ILogger logger, string userId, string currentSessionId);
    }
}
