using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisSessions.AspNetCore.Internal;
using RedisSessions.AspNetCore.SessionState;

namespace RedisSessions.AspNetCore.Authentication;

/// <summary>
/// The server-side store behind one cookie authentication scheme: the cookie carries only a RedisSessions session id,
/// the ticket lives in that session's data (serialized with <see cref="TicketSerializer"/>, protected with Data
/// Protection under a purpose of its own, the scheme and the user id). Redis decides whether a cookie still signs a
/// browser in: every request loads the session for use (sliding its inactivity timeout) and a session that is gone is
/// an anonymous request, whatever the cookie's own lifetime says.
/// </summary>
internal sealed partial class RedisTicketStore : ITicketStore
{
    /// <summary>The ticket property that marks a ticket this store handed out for a session: the cookie handler's refresh
    /// copies it, a new sign-in's ticket lacks it. Never stored.</summary>
    internal const string SessionMarker = ".redissessions.session";

    private const string ProtectorPurpose = "RedisSessions.AspNetCore.AuthenticationTicket.v1";
    private const int MaxUserAgentLength = 512;

    private readonly string _scheme;
    private readonly SessionManager _sessions;
    private readonly IDataProtector _protector;
    private readonly IOptionsMonitor<RedisSessionsAspNetCoreOptions> _options;
    private readonly CookieAuthenticationOptions _cookie;
    private readonly ILogger _logger;
    private int _warnedCookieManager;

    public RedisTicketStore(string scheme, SessionManager sessions, IDataProtectionProvider dataProtection,
        IOptionsMonitor<RedisSessionsAspNetCoreOptions> options, CookieAuthenticationOptions cookie, ILogger<RedisTicketStore> logger)
    {
        _scheme = scheme;
        _sessions = sessions;
        _protector = dataProtection.CreateProtector(ProtectorPurpose, scheme);
        _options = options;
        _cookie = cookie;
        _logger = logger;
    }

    public string Scheme => _scheme;

    // ITicketStore: the HttpContext overloads are the ones the cookie handler calls; the others serve direct callers.

    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreCoreAsync(ticket, null, CancellationToken.None);

    public Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken) => StoreCoreAsync(ticket, null, cancellationToken);

    public Task<string> StoreAsync(AuthenticationTicket ticket, HttpContext httpContext, CancellationToken cancellationToken) =>
        StoreCoreAsync(ticket, httpContext, cancellationToken);

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewCoreAsync(key, ticket, null, CancellationToken.None);

    public Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken) => RenewCoreAsync(key, ticket, null, cancellationToken);

    public Task RenewAsync(string key, AuthenticationTicket ticket, HttpContext httpContext, CancellationToken cancellationToken) =>
        RenewCoreAsync(key, ticket, httpContext, cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveCoreAsync(key, null, CancellationToken.None);

    public Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken) => RetrieveCoreAsync(key, null, cancellationToken);

    public Task<AuthenticationTicket?> RetrieveAsync(string key, HttpContext httpContext, CancellationToken cancellationToken) =>
        RetrieveCoreAsync(key, httpContext, cancellationToken);

    public Task RemoveAsync(string key) => RemoveCoreAsync(key, null, CancellationToken.None);

    public Task RemoveAsync(string key, CancellationToken cancellationToken) => RemoveCoreAsync(key, null, cancellationToken);

    public Task RemoveAsync(string key, HttpContext httpContext, CancellationToken cancellationToken) => RemoveCoreAsync(key, httpContext, cancellationToken);

    /// <summary>A sign-in: always a new session (a new id), created under the per-user limit.</summary>
    private async Task<string> StoreCoreAsync(AuthenticationTicket ticket, HttpContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        cancellationToken.ThrowIfCancellationRequested();
        var session = await CreateSessionAsync(ticket, context, cancellationToken).ConfigureAwait(false);
        WebMetrics.SignIn("created");
        return session.SessionId;
    }

    private async Task<Session> CreateSessionAsync(AuthenticationTicket ticket, HttpContext? context, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        var userId = RequireUserId(ticket.Principal, options);
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [WebSessionDataKeys.Ticket] = Protect(ticket, userId),
        };
        if (context is not null)
        {
            if (options.RecordUserAgent && context.Request.Headers.UserAgent.ToString() is { Length: > 0 } userAgent)
            {
                data[WebSessionDataKeys.UserAgent] = userAgent.Length > MaxUserAgentLength ? userAgent[..MaxUserAgentLength] : userAgent;
            }
            if (options.RecordRemoteIpAddress && context.Connection.RemoteIpAddress is { } address)
            {
                data[WebSessionDataKeys.RemoteIpAddress] = address.ToString();
            }
        }
        var state = context is null ? null : RedisSessionState.Of(context);
        var handOver = state is null ? StateHandOver.None : await state.PrepareSignInAsync(options.CarrySessionStateOnSignIn, cancellationToken).ConfigureAwait(false);

        Session session;
        try
        {
            try
            {
                session = await _sessions.CreateSessionAsync(userId, WithState(data, handOver), cancellationToken).ConfigureAwait(false);
            }
            catch (SessionDataTooLargeException ex) when (handOver.Values.Count > 0)
            {
                // The session state the browser had is too big to come along: sign in without it.
                Log.StateNotCarried(_logger, ex, userId, _scheme);
                handOver = handOver.WithoutValues();
                session = await _sessions.CreateSessionAsync(userId, data, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SessionLimitExceededException ex)
        {
            Log.SignInRefused(_logger, userId, ex.ActiveSessions, ex.MaxSessionsPerUser, _scheme);
            WebMetrics.SignIn("rejected");
            throw;
        }
        catch (SessionStoreUnavailableException ex)
        {
            Log.SignInUnavailable(_logger, ex, userId, _scheme);
            WebMetrics.SignIn("unavailable");
            WebMetrics.Unavailable("sign-in");
            throw;
        }
        Log.SignedIn(_logger, userId, session.SessionId, _scheme);
        if (context is not null)
        {
            var feature = FeatureOf(context);
            feature.Session = session;
            feature.EndedSession = null;
            if (state is not null)
            {
                await state.CompleteSignInAsync(session, handOver, cancellationToken).ConfigureAwait(false);
            }
        }
        return session;
    }

    private static Dictionary<string, string> WithState(Dictionary<string, string> data, StateHandOver handOver)
    {
        if (handOver.Values.Count == 0)
        {
            return data;
        }
        var all = new Dictionary<string, string>(handOver.Values, StringComparer.Ordinal);
        foreach (var (key, value) in data)
        {
            all[key] = value;
        }
        return all;
    }

    /// <summary>Loads the session for use (its inactivity timeout slides) and returns its ticket; null, and the request
    /// is anonymous, when the session is gone, the cookie is not one of ours, or Redis can't be reached. One read says
    /// both whether the session lives and, when it has ended, why.</summary>
    private async Task<AuthenticationTicket?> RetrieveCoreAsync(string key, HttpContext? context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var feature = context is null ? null : FeatureOf(context);
        if (!SessionManager.IsWellFormedSessionId(key))
        {
            // The cookie unprotected, so it was written with this application's keys, but not by this store.
            Reject("malformed-id", key, context);
            return null;
        }
        SessionLoad load;
        try
        {
            load = await _sessions.LoadSessionAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException ex)
        {
            // Fail closed: nobody is signed in while Redis can't say who is. The cookie stays, so the browser is
            // signed in again when Redis is back.
            Log.RetrieveUnavailable(_logger, ex, key, _scheme);
            WebMetrics.Unavailable("authenticate");
            if (feature is not null)
            {
                feature.StoreUnavailable = true;
            }
            return null;
        }
        if (load.Session is not { } session)
        {
            OnSessionEnded(key, load.EndReason, context, feature);
            return null;
        }
        var ticket = Unprotect(session, context);
        if (ticket is null)
        {
            return null;
        }
        ticket.Properties.Items[SessionMarker] = key;
        if (feature is not null)
        {
            feature.Session = session;
            feature.EndedSession = null;
        }
        return ticket;
    }

    private void OnSessionEnded(string key, TerminationReason? reason, HttpContext? context, RedisSessionsFeature? feature)
    {
        Log.SessionEnded(_logger, key, reason?.ToString() ?? "reason no longer known", _scheme);
        WebMetrics.Ended(reason);
        if (feature is not null)
        {
            feature.EndedSession = new SessionEnd(key, reason);
        }
        if (reason is null && context is not null)
        {
            // Nothing more to tell the user: the cookie only costs a lookup per request now.
            DeleteCookie(context);
        }
    }

    /// <summary>The cookie handler renews in two cases. A refresh (sliding expiration, or a replaced principal) of the
    /// ticket this store handed out: the ticket is written back into the same session, only while it lives — a renewal
    /// never brings an ended session back. A sign-in on a browser that is already signed in (the handler reuses its
    /// session key): a new session with a new id, like every sign-in, and the old one ends.</summary>
    private async Task RenewCoreAsync(string key, AuthenticationTicket ticket, HttpContext? context, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(ticket);
        cancellationToken.ThrowIfCancellationRequested();
        var refresh = ticket.Properties.Items.TryGetValue(SessionMarker, out var marker) && string.Equals(marker, key, StringComparison.Ordinal);
        if (!refresh && context is not null)
        {
            if (_cookie.CookieManager is SessionIdCookieManager)
            {
                await ReplaceAsync(key, ticket, context, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (Interlocked.Exchange(ref _warnedCookieManager, 1) == 0)
            {
                Log.CookieManagerReplaced(_logger, _scheme);
            }
        }

        var options = _options.CurrentValue;
        var userId = RequireUserId(ticket.Principal, options);
        var current = context?.Features.Get<RedisSessionsFeature>()?.Session;
        var owner = current is not null && string.Equals(current.SessionId, key, StringComparison.Ordinal)
            ? current.UserId
            : (await _sessions.PeekSessionAsync(key, cancellationToken).ConfigureAwait(false))?.UserId;
        if (owner is null)
        {
            Log.NotRenewed(_logger, key, _scheme);
            return;
        }
        if (!string.Equals(owner, userId, StringComparison.Ordinal))
        {
            // A session never carries another user's ticket: end it, the browser is signed out.
            Log.RenewedForAnotherUser(_logger, key, owner, userId, _scheme);
            await _sessions.TerminateSessionAsync(key, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
            return;
        }
        var live = await _sessions.SetSessionDataAsync(key, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [WebSessionDataKeys.Ticket] = Protect(ticket, userId),
        }, cancellationToken).ConfigureAwait(false);
        if (!live)
        {
            Log.NotRenewed(_logger, key, _scheme);
        }
    }

    /// <summary>A sign-in on a signed-in browser: the old session ends first (so a user at the limit can sign in again on
    /// the same browser), then a new one is created, and the cookie the handler writes next carries the new id
    /// (<see cref="SessionIdCookieManager"/>).</summary>
    private async Task ReplaceAsync(string oldKey, AuthenticationTicket ticket, HttpContext context, CancellationToken cancellationToken)
    {
        if (SessionManager.IsWellFormedSessionId(oldKey))
        {
            try
            {
                await _sessions.TerminateSessionAsync(oldKey, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException ex)
            {
                Log.SignInUnavailable(_logger, ex, RequireUserId(ticket.Principal, _options.CurrentValue), _scheme);
                WebMetrics.SignIn("unavailable");
                WebMetrics.Unavailable("sign-in");
                throw;
            }
        }
        var session = await CreateSessionAsync(ticket, context, cancellationToken).ConfigureAwait(false);
        SessionIdCookieManager.RequestReplacement(context, _scheme, oldKey, session.SessionId);
        Log.SessionReplaced(_logger, session.UserId, oldKey, session.SessionId, _scheme);
        WebMetrics.SignIn("replaced");
    }

    private async Task RemoveCoreAsync(string key, HttpContext? context, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (SessionManager.IsWellFormedSessionId(key))
        {
            bool ended;
            try
            {
                ended = await _sessions.TerminateSessionAsync(key, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException ex)
            {
                // Fail closed: the sign-out fails loudly rather than leave a live session behind a deleted cookie.
                Log.SignOutUnavailable(_logger, ex, key, _scheme);
                WebMetrics.Unavailable("sign-out");
                throw;
            }
            Log.SignedOut(_logger, key, ended, _scheme);
        }
        if (context is not null)
        {
            var feature = context.Features.Get<RedisSessionsFeature>();
            if (feature?.Session is { } current && string.Equals(current.SessionId, key, StringComparison.Ordinal))
            {
                feature.Session = null;
            }
            RedisSessionState.Of(context)?.OnSignedOut(key);
        }
    }

    private string Protect(AuthenticationTicket ticket, string userId)
    {
        var properties = ticket.Properties.Clone();
        properties.Items.Remove(SessionMarker);
        var bytes = TicketSerializer.Default.Serialize(new AuthenticationTicket(ticket.Principal, properties, ticket.AuthenticationScheme));
        return Convert.ToBase64String(_protector.CreateProtector(userId).Protect(bytes));
    }

    /// <summary>The session's ticket, or null (logged, counted) when the session holds none this store can read, or one
    /// of another user.</summary>
    private AuthenticationTicket? Unprotect(Session session, HttpContext? context)
    {
        if (session.GetData(WebSessionDataKeys.Ticket) is not { Length: > 0 } stored)
        {
            Reject("no-ticket", session.SessionId, context);
            return null;
        }
        AuthenticationTicket? ticket;
        try
        {
            var bytes = _protector.CreateProtector(session.UserId).Unprotect(Convert.FromBase64String(stored));
            ticket = TicketSerializer.Default.Deserialize(bytes);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or InvalidOperationException or ArgumentException or EndOfStreamException)
        {
            // Written by another application or scheme, or with Data Protection keys this node can't read.
            Log.TicketUnreadable(_logger, ex, session.SessionId, _scheme);
            WebMetrics.Rejected("ticket-unreadable");
            return null;
        }
        if (ticket is null)
        {
            Reject("ticket-unreadable", session.SessionId, context);
            return null;
        }
        if (!string.Equals(UserIdOf(ticket.Principal, _options.CurrentValue), session.UserId, StringComparison.Ordinal))
        {
            Reject("user-mismatch", session.SessionId, context);
            return null;
        }
        return ticket;
    }

    private void Reject(string cause, string key, HttpContext? context)
    {
        Log.CookieRejected(_logger, cause, key.Length > 64 ? key[..64] : key, _scheme);
        WebMetrics.Rejected(cause);
        if (context is not null)
        {
            DeleteCookie(context);
        }
    }

    private void DeleteCookie(HttpContext context)
    {
        if (context.Response.HasStarted || _cookie.Cookie.Name is not { Length: > 0 } name)
        {
            return;
        }
        var cookieOptions = _cookie.Cookie.Build(context);
        cookieOptions.Expires = null;
        _cookie.CookieManager.DeleteCookie(context, name, cookieOptions);
    }

    internal static RedisSessionsFeature FeatureOf(HttpContext context)
    {
        var feature = context.Features.Get<RedisSessionsFeature>();
        if (feature is null)
        {
            feature = new RedisSessionsFeature();
            context.Features.Set(feature);
        }
        return feature;
    }

    /// <summary>The user id of a principal: the configured claim, else its name.</summary>
    internal static string? UserIdOf(ClaimsPrincipal principal, RedisSessionsAspNetCoreOptions options)
    {
        var id = principal.FindFirst(options.UserIdClaimType)?.Value;
        if (string.IsNullOrWhiteSpace(id))
        {
            id = principal.Identity?.Name;
        }
        if (string.IsNullOrWhiteSpace(id))
        {
            id = principal.FindFirst(ClaimTypes.Name)?.Value;
        }
        return string.IsNullOrWhiteSpace(id) ? null : id;
    }

    private static string RequireUserId(ClaimsPrincipal principal, RedisSessionsAspNetCoreOptions options) =>
        UserIdOf(principal, options) ?? throw new InvalidOperationException(
            $"The principal signing in has no '{options.UserIdClaimType}' claim and no name, so it has no RedisSessions user id. " +
            $"Add the claim, or set {RedisSessionsAspNetCoreOptions.SectionName}:{nameof(RedisSessionsAspNetCoreOptions.UserIdClaimType)} to the claim that identifies users.");
}
