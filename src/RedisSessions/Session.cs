using RedisSessions.Store;

namespace RedisSessions;

/// <summary>A snapshot of one session, as last read from or written to Redis. Its methods go to Redis through the
/// <see cref="SessionManager"/> that returned it and refresh the snapshot.</summary>
public sealed class Session
{
    private readonly SessionManager? _manager;
    private SessionRecord _record;

    internal Session(SessionManager? manager, SessionRecord record, bool terminated = false)
    {
        _manager = manager;
        _record = record;
        IsTerminated = terminated || record.IsEnded;
    }

    /// <summary>The session id: 25 URL-safe characters, 128 bits of them from a CSPRNG.</summary>
    public string SessionId => _record.SessionId;

    /// <summary>The user the session belongs to.</summary>
    public string UserId => _record.UserId;

    /// <summary>When the session was created (Redis's clock).</summary>
    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeMilliseconds(_record.CreatedMs);

    /// <summary>The last recorded activity (see <see cref="SessionOptions.ActivityResolution"/>).</summary>
    public DateTimeOffset LastActivity => DateTimeOffset.FromUnixTimeMilliseconds(_record.LastMs);

    /// <summary>When the session ends unless there is more activity: the earlier of <see cref="LastActivity"/> plus the
    /// inactivity timeout and the absolute deadline.</summary>
    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeMilliseconds(_record.ExpiresMs);

    /// <summary>The absolute deadline, when <see cref="SessionOptions.AbsoluteTimeout"/> was set at creation.</summary>
    public DateTimeOffset? AbsoluteExpiresAt => _record.AbsoluteMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(_record.AbsoluteMs) : null;

    /// <summary>The node (<see cref="SessionOptions.NodeName"/>) that created the session.</summary>
    public string Node => _record.Node;

    /// <summary>The session's data.</summary>
    public IReadOnlyDictionary<string, string> Data => _record.Data;

    /// <summary>False once this object saw the session terminated, or once its expiry has passed on Redis's clock (as
    /// last seen by this process).</summary>
    public bool IsActive => !IsTerminated && _record.ExpiresMs > NowMs;

    internal bool IsTerminated { get; private set; }

    private long NowMs => _manager?.RedisNowMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Time since <see cref="LastActivity"/>.</summary>
    public TimeSpan GetInactiveDuration() => TimeSpan.FromMilliseconds(Math.Max(0, NowMs - _record.LastMs));

    /// <summary>Whether the session has seen no activity for at least <paramref name="duration"/>.</summary>
    public bool IsInactiveFor(TimeSpan duration) => GetInactiveDuration() >= duration;

    /// <summary>A data value, or <paramref name="defaultValue"/> when the key is absent.</summary>
    public string? GetData(string key, string? defaultValue = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Data.TryGetValue(key, out var value) ? value : defaultValue;
    }

    /// <summary>Records activity now (sliding the expiry). False when the session is gone.</summary>
    public async Task<bool> UpdateActivityAsync(CancellationToken cancellationToken = default)
    {
        var answer = await Manager.TouchAsync(SessionId, UserId, cancellationToken).ConfigureAwait(false);
        if (answer is not { } a)
        {
            IsTerminated = true;
            return false;
        }
        _record = _record with { LastMs = a.LastMs, ExpiresMs = a.ExpiresMs };
        return true;
    }

    /// <summary>Sets one data value in Redis (counts as activity).</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>.</exception>
    public async Task SetDataAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        SessionManager.CheckDataKey(key, nameof(key));
        ArgumentNullException.ThrowIfNull(value);
        Keys.Text.ThrowIfInvalidUtf16(value, nameof(value), "data value");
        var answer = await Manager.ChangeDataAsync(SessionId, UserId, [new KeyValuePair<string, string>(key, value)], [], cancellationToken).ConfigureAwait(false);
        if (answer is not { } a)
        {
            IsTerminated = true;
            throw new SessionException("The session has ended (expired or terminated); its data can't be changed.");
        }
        var data = new Dictionary<string, string>(Data, StringComparer.Ordinal) { [key] = value };
        _record = _record with { LastMs = a.LastMs, ExpiresMs = a.ExpiresMs, Data = data };
    }

    /// <summary>Sets <paramref name="set"/> and removes <paramref name="remove"/> in one atomic write (counts as
    /// activity), in one round trip: what a web request changed in its state. A key in both ends up set.</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>; nothing was written.</exception>
    public async Task UpdateDataAsync(IReadOnlyDictionary<string, string>? set, IReadOnlyCollection<string>? remove, CancellationToken cancellationToken = default)
    {
        var pairs = SessionManager.DataArguments(set, nameof(set));
        var removed = new List<string>(remove?.Count ?? 0);
        foreach (var key in remove ?? [])
        {
            SessionManager.CheckDataKey(key, nameof(remove));
            removed.Add(key);
        }
        var answer = await Manager.ChangeDataAsync(SessionId, UserId, pairs, removed, cancellationToken).ConfigureAwait(false);
        if (answer is not { } a)
        {
            IsTerminated = true;
            throw new SessionException("The session has ended (expired or terminated); its data can't be changed.");
        }
        var data = new Dictionary<string, string>(Data, StringComparer.Ordinal);
        foreach (var key in removed)
        {
            data.Remove(key);
        }
        foreach (var (key, value) in pairs)
        {
            data[key] = value;
        }
        _record = _record with { LastMs = a.LastMs, ExpiresMs = a.ExpiresMs, Data = data };
    }

    /// <summary>Removes one data value in Redis (counts as activity). False when Redis did not have the key.</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    public async Task<bool> RemoveDataAsync(string key, CancellationToken cancellationToken = default)
    {
        SessionManager.CheckDataKey(key, nameof(key));
        var answer = await Manager.ChangeDataAsync(SessionId, UserId, [], [key], cancellationToken).ConfigureAwait(false);
        if (answer is not { } a)
        {
            IsTerminated = true;
            throw new SessionException("The session has ended (expired or terminated); its data can't be changed.");
        }
        var data = new Dictionary<string, string>(Data, StringComparer.Ordinal);
        data.Remove(key);
        _record = _record with { LastMs = a.LastMs, ExpiresMs = a.ExpiresMs, Data = data };
        return a.Removed > 0;
    }

    /// <summary>Terminates the session (reason <see cref="TerminationReason.Terminated"/>). False when it was already gone.</summary>
    public async Task<bool> TerminateAsync(CancellationToken cancellationToken = default)
    {
        var ended = await Manager.TerminateAsync(SessionId, UserId, TerminationReason.Terminated, cancellationToken).ConfigureAwait(false);
        IsTerminated = true;
        return ended;
    }

    /// <summary>The session as a dictionary for serializers and logs: snake_case keys, ISO-8601 times.</summary>
    public IReadOnlyDictionary<string, object?> ToDictionary() => new Dictionary<string, object?>
    {
        ["session_id"] = SessionId,
        ["user_id"] = UserId,
        ["created_at"] = CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["last_activity"] = LastActivity.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["expires_at"] = ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["is_active"] = IsActive,
        ["node"] = Node,
        ["data"] = new Dictionary<string, string>(Data),
    };

    /// <inheritdoc/>
    public override string ToString() => $"Session {SessionId} (user {UserId}, expires {ExpiresAt:O})";

    private SessionManager Manager => _manager ?? throw new InvalidOperationException("This session snapshot is not attached to a SessionManager.");
}
