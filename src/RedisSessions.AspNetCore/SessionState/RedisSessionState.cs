using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RedisSessions.AspNetCore.SessionState;

/// <summary>
/// One request's <c>HttpContext.Session</c>. It loads once (lazily, or with <see cref="LoadAsync"/>), keeps what this
/// request changed, and at commit writes only that: the keys it set and the keys it removed, in one atomic write. Two
/// concurrent requests that change different keys therefore both keep their change; for one key, the last commit wins.
/// Changes are committed just before the response starts (not after it, as ASP.NET Core's own session does): the
/// browser's next request, on whichever node, sees them, and a failed write is an error response rather than a
/// success whose change was lost. An app that wants to answer such a failure itself calls <see cref="CommitAsync"/>.
/// </summary>
internal sealed class RedisSessionState : ISession
{
    private readonly RedisSessionStateStore _store;
    private readonly string _stateKey;
    private readonly TimeSpan _ioTimeout;
    private readonly Func<bool> _tryEstablishSession;
    private readonly bool _isNewKey;
    private readonly HttpContext? _context;

    private Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]?> _changes = new(StringComparer.Ordinal);
    private bool _loaded;
    private bool _available = true;
    private Session? _session;
    private bool _signedIn;
    private string? _id;
    private bool _commitBeforeResponse;
    private bool _commitFailed;

    public RedisSessionState(RedisSessionStateStore store, string stateKey, TimeSpan ioTimeout, Func<bool> tryEstablishSession, bool isNewKey, HttpContext? context)
    {
        _store = store;
        _stateKey = stateKey;
        _ioTimeout = ioTimeout;
        _tryEstablishSession = tryEstablishSession;
        _isNewKey = isNewKey;
        _context = context;
    }

    /// <summary>The request's session state when it is one of these.</summary>
    public static RedisSessionState? Of(HttpContext context) => context.Features.Get<ISessionFeature>()?.Session as RedisSessionState;

    public bool IsAvailable
    {
        get
        {
            Load();
            return _available;
        }
    }

    /// <summary>A non-secret identifier (a hash): of the sign-in session when the request is signed in, else of the
    /// session cookie's key. Safe to log; it is not the session id.</summary>
    public string Id
    {
        get
        {
            Load();
            return StateId;
        }
    }

    private string StateId => _id ??= Hash(_signedIn && _session is not null ? _session.SessionId : WebSessionDataKeys.AnonymousStateUserPrefix + _stateKey);

    public IEnumerable<string> Keys
    {
        get
        {
            Load();
            return _values.Keys.ToArray();
        }
    }

    public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Load();
        return _values.TryGetValue(key, out value);
    }

    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        Load();
        ThrowIfUnavailable();
        if (!_signedIn && !_tryEstablishSession())
        {
            throw new InvalidOperationException("The session cannot be established after the response has started: set session values before writing the response.");
        }
        var copy = value.ToArray();
        _values[key] = copy;
        _changes[key] = copy;
        CommitBeforeResponse();
    }

    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Load();
        ThrowIfUnavailable();
        _values.Remove(key);
        _changes[key] = null;
        CommitBeforeResponse();
    }

    public void Clear()
    {
        Load();
        ThrowIfUnavailable();
        foreach (var key in _values.Keys)
        {
            _changes[key] = null;
        }
        _values.Clear();
        CommitBeforeResponse();
    }

    private void CommitBeforeResponse()
    {
        if (_commitBeforeResponse || _context is null || _context.Response.HasStarted)
        {
            return;
        }
        _commitBeforeResponse = true;
        _context.Response.OnStarting(static state => ((RedisSessionState)state).CommitBeforeResponseAsync(), this);
    }

    /// <summary>The automatic commit as the response starts; skipped when a commit already failed in this request (the
    /// app heard of it, and may be answering that failure right now).</summary>
    private Task CommitBeforeResponseAsync() => _commitFailed ? Task.CompletedTask : CommitAsync();

    public Task LoadAsync(CancellationToken cancellationToken = default) => _loaded || TryBindSignedIn() ? Task.CompletedTask : LoadCoreAsync(cancellationToken);

    /// <summary>Loading on first use when the app did not call <see cref="LoadAsync"/> (ASP.NET Core's own session does
    /// the same): a blocking wait; call <c>await HttpContext.Session.LoadAsync()</c> first to avoid it.</summary>
    private void Load()
    {
        if (!_loaded && !TryBindSignedIn())
        {
            LoadCoreAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    /// <summary>A signed-in request (authentication ran before): the state lives in the sign-in session, which the ticket
    /// store has already read, so loading needs no I/O and no timeout.</summary>
    private bool TryBindSignedIn()
    {
        if (_context?.Features.Get<RedisSessionsFeature>()?.Session is not { } signedIn)
        {
            return false;
        }
        Bind(signedIn, signedIn: true);
        _loaded = true;
        return true;
    }

    private async Task LoadCoreAsync(CancellationToken cancellationToken)
    {
        if (_loaded || TryBindSignedIn())
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_ioTimeout);
        try
        {
            if (!_isNewKey && await _store.FindAnonymousAsync(_stateKey, timeout.Token).ConfigureAwait(false) is { } anonymous)
            {
                Bind(anonymous, signedIn: false);
            }
        }
        catch (SessionStoreUnavailableException ex)
        {
            _available = false;
            RedisSessionStateStore.Log.LoadUnavailable(_store.Logger, ex, StateId);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _available = false;
            RedisSessionStateStore.Log.LoadTimedOut(_store.Logger, StateId, _ioTimeout);
        }
        _loaded = true;
    }

    private void Bind(Session session, bool signedIn)
    {
        _session = session;
        _signedIn = signedIn;
        _id = null;
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (field, encoded) in session.Data)
        {
            if (!field.StartsWith(WebSessionDataKeys.StatePrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var key = field[WebSessionDataKeys.StatePrefix.Length..];
            try
            {
                values[key] = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                RedisSessionStateStore.Log.ValueUnreadable(_store.Logger, key, StateId);
            }
        }
        _values = values;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_changes.Count == 0 || !_available)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_ioTimeout);
        var token = timeout.Token;
        var sets = new Dictionary<string, string>(StringComparer.Ordinal);
        var removes = new List<string>();
        foreach (var (key, value) in _changes)
        {
            if (value is null)
            {
                removes.Add(WebSessionDataKeys.StatePrefix + key);
            }
            else
            {
                sets[WebSessionDataKeys.StatePrefix + key] = Convert.ToBase64String(value);
            }
        }
        try
        {
            if (_session is null)
            {
                if (sets.Count > 0)
                {
                    _session = await _store.CreateAnonymousAsync(_stateKey, sets, token).ConfigureAwait(false);
                }
            }
            else if (!await WriteChangesAsync(_session, sets, removes, token).ConfigureAwait(false))
            {
                if (_signedIn)
                {
                    // Signed out meanwhile (elsewhere, or expired): the state must not outlive the sign-in.
                    RedisSessionStateStore.Log.SignedInSessionEnded(_store.Logger, _changes.Count, _session.SessionId);
                }
                else
                {
                    // The browser's anonymous state session ended under this request: start again with what it sees.
                    var all = _values.ToDictionary(p => WebSessionDataKeys.StatePrefix + p.Key, p => Convert.ToBase64String(p.Value), StringComparer.Ordinal);
                    _store.Forget(_stateKey);
                    _session = all.Count == 0 ? null : await _store.CreateAnonymousAsync(_stateKey, all, token).ConfigureAwait(false);
                }
            }
            _changes.Clear();
        }
        catch (SessionStoreUnavailableException ex)
        {
            _commitFailed = true;
            RedisSessionStateStore.Log.CommitUnavailable(_store.Logger, ex, _changes.Count, StateId);
            throw;
        }
        catch (SessionDataTooLargeException ex)
        {
            _commitFailed = true;
            RedisSessionStateStore.Log.CommitTooLarge(_store.Logger, ex, StateId);
            throw;
        }
    }

    /// <summary>The keys this request set and the ones it removed, in one atomic write. False when the session is gone.</summary>
    /// <summary>One atomic write of the request's sets and removals, in one round trip (the Session knows its user).
    /// False when the session has ended.</summary>
    private static async Task<bool> WriteChangesAsync(Session session, Dictionary<string, string> sets, List<string> removes, CancellationToken cancellationToken)
    {
        try
        {
            await session.UpdateDataAsync(sets, removes, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SessionException ex) when (ex is not SessionDataTooLargeException and not SessionStoreUnavailableException)
        {
            return false;
        }
    }

    /// <summary>Before a sign-in creates its session: what moves into it. State of an earlier sign-in never moves into
    /// another one; anonymous state does when <paramref name="carry"/> is on (its session ends either way).</summary>
    internal async Task<StateHandOver> PrepareSignInAsync(bool carry, CancellationToken cancellationToken)
    {
        await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        if (_signedIn || !_available)
        {
            return StateHandOver.None;
        }
        var values = carry
            ? _values.ToDictionary(p => WebSessionDataKeys.StatePrefix + p.Key, p => Convert.ToBase64String(p.Value), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        return new StateHandOver(values, _session);
    }

    /// <summary>After the sign-in created <paramref name="session"/>: the rest of the request uses it, and the browser's
    /// pre-sign-in state session ends.</summary>
    internal async Task CompleteSignInAsync(Session session, StateHandOver handOver, CancellationToken cancellationToken)
    {
        if (handOver.AnonymousSession is { } anonymous)
        {
            try
            {
                await _store.Sessions.TerminateSessionAsync(anonymous.SessionId, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException ex)
            {
                RedisSessionStateStore.Log.HandOverUnavailable(_store.Logger, ex, anonymous.SessionId);
            }
            _store.Forget(_stateKey);
        }
        var carried = handOver.Values.Count > 0;
        _session = session;
        _signedIn = true;
        _loaded = true;
        _available = true;
        _id = null;
        if (!carried)
        {
            _values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        }
        // Carried changes are in the new session already; the others belonged to the pre-sign-in state.
        _changes.Clear();
    }

    /// <summary>After a sign-out of <paramref name="sessionId"/> in this request: the rest of the request has fresh,
    /// anonymous state (the state of the sign-in ended with it).</summary>
    internal void OnSignedOut(string sessionId)
    {
        if (_loaded && !(_signedIn && _session is not null && string.Equals(_session.SessionId, sessionId, StringComparison.Ordinal)))
        {
            return;
        }
        _session = null;
        _signedIn = false;
        _loaded = true;
        _available = true;
        _id = null;
        _values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        _changes.Clear();
    }

    private void ThrowIfUnavailable()
    {
        if (!_available)
        {
            // The same exception as every other RedisSessions operation that can't reach Redis, so one handler (a 503
            // page) covers it; ASP.NET Core's own session would drop the change silently.
            throw new SessionStoreUnavailableException("HttpContext.Session is unavailable for this request: Redis could not be reached when it was loaded, so the change can't be saved.");
        }
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 12));
}
