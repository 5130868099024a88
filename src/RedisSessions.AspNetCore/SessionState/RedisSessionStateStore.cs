using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Session;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;

namespace RedisSessions.AspNetCore.SessionState;

/// <summary>
/// <see cref="ISessionStore"/> for ASP.NET Core's session middleware (<c>app.UseSession()</c>), backed by RedisSessions.
/// A signed-in request's <c>HttpContext.Session</c> lives in the data of its sign-in session (so sign-out, eviction,
/// expiry and "sign out everywhere" end it too); an anonymous browser gets a session of its own, whose user id is
/// <see cref="WebSessionDataKeys.AnonymousStateUserPrefix"/> + the session cookie's key.
/// </summary>
internal sealed partial class RedisSessionStateStore : ISessionStore, IDisposable
{
    private readonly IHttpContextAccessor _accessor;
    private readonly MemoryCache _anonymousIds = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private static readonly MemoryCacheEntryOptions CacheEntry = new() { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(10) };

    public RedisSessionStateStore(SessionManager sessions, IHttpContextAccessor accessor, ILogger<RedisSessionStateStore> logger)
    {
        Sessions = sessions;
        _accessor = accessor;
        Logger = logger;
    }

    internal SessionManager Sessions { get; }

    internal ILogger Logger { get; }

    /// <summary>The middleware's idle timeout is not used: RedisSessions' <see cref="SessionOptions.InactiveTimeout"/>
    /// decides, for the state as for sign-ins.</summary>
    public ISession Create(string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, Func<bool> tryEstablishSession, bool isNewSessionKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionKey);
        ArgumentNullException.ThrowIfNull(tryEstablishSession);
        return new RedisSessionState(this, sessionKey, ioTimeout, tryEstablishSession, isNewSessionKey, _accessor.HttpContext);
    }

    private static string AnonymousUser(string stateKey) => WebSessionDataKeys.AnonymousStateUserPrefix + stateKey;

    /// <summary>The anonymous state session of a session cookie's key, loaded for use (its expiry slides); null when
    /// there is none.</summary>
    internal async Task<Session?> FindAnonymousAsync(string stateKey, CancellationToken cancellationToken)
    {
        if (_anonymousIds.TryGetValue(stateKey, out string? known) && known is not null)
        {
            var session = await Sessions.GetSessionAsync(known, cancellationToken).ConfigureAwait(false);
            if (session is not null)
            {
                return session;
            }
            _anonymousIds.Remove(stateKey);
        }
        var sessions = await Sessions.GetUserSessionsAsync(AnonymousUser(stateKey), cancellationToken).ConfigureAwait(false);
        foreach (var candidate in sessions)
        {
            var session = await Sessions.GetSessionAsync(candidate.SessionId, cancellationToken).ConfigureAwait(false);
            if (session is not null)
            {
                Remember(stateKey, session.SessionId);
                return session;
            }
        }
        return null;
    }

    /// <summary>Creates the anonymous state session of a session cookie's key with <paramref name="values"/>. When two
    /// first requests of one browser raced, the values go into the older session and the newer one ends.</summary>
    internal async Task<Session> CreateAnonymousAsync(string stateKey, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var userId = AnonymousUser(stateKey);
        Session created;
        try
        {
            created = await Sessions.CreateSessionAsync(userId, values, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionLimitExceededException)
        {
            // RejectNew with a limit of 1, and another request created this browser's session first: write into that one.
            var existing = await FindAnonymousAsync(stateKey, cancellationToken).ConfigureAwait(false);
            if (existing is null || !await Sessions.SetSessionDataAsync(existing.SessionId, values, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
            return existing;
        }
        var all = await Sessions.GetUserSessionsAsync(userId, cancellationToken).ConfigureAwait(false);
        if (all.Count > 1 && !string.Equals(all[0].SessionId, created.SessionId, StringComparison.Ordinal)
            && await Sessions.SetSessionDataAsync(all[0].SessionId, values, cancellationToken).ConfigureAwait(false))
        {
            await Sessions.TerminateSessionAsync(created.SessionId, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
            Log.AnonymousSessionsMerged(Logger, created.SessionId, all[0].SessionId);
            Remember(stateKey, all[0].SessionId);
            return all[0];
        }
        Remember(stateKey, created.SessionId);
        return created;
    }

    internal void Forget(string stateKey) => _anonymousIds.Remove(stateKey);

    private void Remember(string stateKey, string sessionId) => _anonymousIds.Set(stateKey, sessionId, CacheEntry);

    public void Dispose() => _anonymousIds.Dispose();
}
