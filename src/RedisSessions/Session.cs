using RedisSessions.Internal;

namespace RedisSessions;

/// <summary>A snapshot of one session, as last read from or written to Redis. Its methods go to Redis through the
/// <see cref="SessionManager"/> that returned it and refresh the snapshot.</summary>
public sealed class Session
{
    private readonly SessionManager? _manager;
    private SessionRecord _record;

    internal Session(SessionManager? manager, SessionRecord record)
    {
        _manager = manager;
        _record = record;
        SessionId = record.SessionId;
        UserId = record.UserId;
        CreatedAt = record.CreatedAt;
        Node = record.Node;
        Apply(record);
    }

    /// <summary>The session id: 25 URL-safe characters, 128 bits of them from a CSPRNG.</summary>
    public string SessionId { get; private set; }

    /// <summary>The user the session belongs to.</summary>
    public string UserId { get; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The last recorded activity (see <see cref="SessionOptions.ActivityResolution"/>).</summary>
    public DateTimeOffset LastActivity { get; private set; }

    /// <summary>When the session ends unless there is more activity: the earlier of <see cref="LastActivity"/> plus the
    /// inactivity timeout and the absolute deadline.</summary>
    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>The absolute deadline, when <see cref="SessionOptions.AbsoluteTimeout"/> was set at creation.</summary>
    public DateTimeOffset? AbsoluteExpiresAt { get; private set; }

    /// <summary>The node (<see cref="SessionOptions.NodeName"/>) that created the session.</summary>
    public string Node { get; }

    /// <summary>The session's data.</summary>
    public IReadOnlyDictionary<string, string> Data { get; private set; } = new Dictionary<string, string>();

    /// <summary>False once this object saw the session terminated, or once its expiry has passed.</summary>
    public bool IsActive => !IsTerminated && ExpiresAt > Now;

    internal bool IsTerminated { get; private set; }

    private DateTimeOffset Now => (_manager?.TimeProvider ?? TimeProvider.System).GetUtcNow();

    /// <summary>Time since <see cref="LastActivity"/>.</summary>
    public TimeSpan GetInactiveDuration() => Now - LastActivity;

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
        var slide = await Manager.TouchAsync(SessionId, cancellationToken).ConfigureAwait(false);
        if (slide is not { } s)
        {
            IsTerminated = true;
            return false;
        }
        Apply(_record.WithExpiry(s.ExpiryOffset, s.LastOffset));
        return true;
    }

    /// <summary>Sets one data value in Redis (counts as activity).</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    /// <exception cref="SessionDataTooLargeException">The data would exceed <see cref="SessionOptions.MaxDataBytes"/>.</exception>
    public async Task SetDataAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        var slide = await Manager.SetDataAsync(SessionId, key, value, cancellationToken).ConfigureAwait(false);
        if (slide is not { } s)
        {
            IsTerminated = true;
            throw new SessionException("The session has ended (expired or terminated); its data can't be changed.");
        }
        var data = new Dictionary<string, string>(Data, StringComparer.Ordinal) { [key] = value };
        Apply(_record.WithExpiry(s.ExpiryOffset, s.LastOffset, data));
    }

    /// <summary>Removes one data value in Redis (counts as activity). False when the key was absent.</summary>
    /// <exception cref="SessionException">The session is gone (expired or terminated).</exception>
    public async Task<bool> RemoveDataAsync(string key, CancellationToken cancellationToken = default)
    {
        var had = Data.ContainsKey(key);
        var slide = await Manager.RemoveDataAsync(SessionId, key, cancellationToken).ConfigureAwait(false);
        if (slide is not { } s)
        {
            IsTerminated = true;
            throw new SessionException("The session has ended (expired or terminated); its data can't be changed.");
        }
        var data = new Dictionary<string, string>(Data, StringComparer.Ordinal);
        data.Remove(key);
        Apply(_record.WithExpiry(s.ExpiryOffset, s.LastOffset, data));
        return had;
    }

    /// <summary>Terminates the session (reason <see cref="TerminationReason.Terminated"/>). False when it was already gone.</summary>
    public async Task<bool> TerminateAsync(CancellationToken cancellationToken = default)
    {
        var ended = await Manager.TerminateSessionAsync(SessionId, cancellationToken).ConfigureAwait(false);
        IsTerminated = true;
        return ended;
    }

    /// <summary>The seed's <c>to_dict()</c>: snake_case keys, ISO-8601 times.</summary>
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

    internal void MarkTerminated() => IsTerminated = true;

    /// <summary>Takes what Redis returned. A data write returns only the new expiry: its caller passes a record whose
    /// data is what this snapshot had plus the change.</summary>
    internal void Apply(SessionRecord record)
    {
        _record = record;
        SessionId = record.SessionId;
        LastActivity = record.LastActivity;
        ExpiresAt = record.ExpiresAt;
        AbsoluteExpiresAt = record.AbsoluteExpiresAt;
        Data = record.Data;
    }
}
