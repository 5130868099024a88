using System.Buffers.Text;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>One session hash as read from Redis (live or ended). See <see cref="SessionKeys"/> for the fields.</summary>
internal sealed class SessionRecord
{
    public const char DataPrefix = '.';

    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset LastActivity { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }
    public TimeSpan IdleTimeout { get; init; }

    /// <summary>The creating node's id in the node registry (<c>n</c>); 0 when unknown.</summary>
    public long NodeId { get; init; }

    /// <summary>The creating node's name, once resolved through the registry.</summary>
    public string Node { get; set; } = string.Empty;

    public required IReadOnlyDictionary<string, string> Data { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int Attempts { get; init; }

    /// <summary>Created (Unix ms) and the expiry, absolute deadline and last activity offsets (ms after created; -1 when
    /// absent), as stored.</summary>
    public long CreatedMs { get; init; }
    public long ExpiryOffset { get; init; }
    public long AbsoluteOffset { get; init; } = -1;
    public long LastOffset { get; init; } = -1;

    public long ExpiresMs => CreatedMs + ExpiryOffset;

    /// <summary>The same session with a new expiry offset and last activity offset (-1: derive it from the idle timeout),
    /// and new data when given.</summary>
    public SessionRecord WithExpiry(long expiryOffset, long lastOffset, IReadOnlyDictionary<string, string>? data = null) =>
        Build(SessionId, UserId, CreatedMs, expiryOffset, AbsoluteOffset, lastOffset >= 0 ? lastOffset : LastOffset, NodeId, IdleTimeout,
            data ?? Data, Reason, EndedAt, Attempts, Node);

    /// <summary>The same session read with another idle timeout (it only changes the derived last activity).</summary>
    public SessionRecord WithIdle(TimeSpan idle) =>
        Build(SessionId, UserId, CreatedMs, ExpiryOffset, AbsoluteOffset, LastOffset, NodeId, idle, Data, Reason, EndedAt, Attempts, Node);

    public static SessionRecord? FromHash(string sessionId, HashEntry[] entries, TimeSpan idle)
    {
        if (entries.Length == 0)
        {
            return null;
        }
        var reader = new Reader(idle);
        foreach (var entry in entries)
        {
            reader.Add(entry.Name, entry.Value);
        }
        return reader.Build(sessionId);
    }

    public static SessionRecord? FromResult(string sessionId, RedisResult result, TimeSpan idle)
    {
        var items = (RedisResult[]?)result;
        if (items is null || items.Length < 2)
        {
            return null;
        }
        var reader = new Reader(idle);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            reader.Add((RedisValue)items[i], (RedisValue)items[i + 1]);
        }
        return reader.Build(sessionId);
    }

    public static SessionRecord? FromFlat(string sessionId, RedisValue[] flat, TimeSpan idle)
    {
        if (flat.Length < 2)
        {
            return null;
        }
        var reader = new Reader(idle);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            reader.Add(flat[i], flat[i + 1]);
        }
        return reader.Build(sessionId);
    }

    private static SessionRecord Build(string sessionId, string user, long created, long expiry, long absolute, long last, long node,
        TimeSpan idle, IReadOnlyDictionary<string, string> data, string? reason, DateTimeOffset? ended, int attempts, string nodeName)
    {
        var expires = created + expiry;
        // Without a recorded last activity it is what the expiry implies: the expiry minus the idle timeout.
        var lastMs = last >= 0 ? created + last : Math.Clamp(expires - (long)idle.TotalMilliseconds, created, Math.Max(created, expires));
        return new SessionRecord
        {
            SessionId = sessionId,
            UserId = user,
            CreatedMs = created,
            ExpiryOffset = expiry,
            AbsoluteOffset = absolute,
            LastOffset = last,
            NodeId = node,
            Node = nodeName,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(created),
            LastActivity = DateTimeOffset.FromUnixTimeMilliseconds(lastMs),
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires),
            AbsoluteExpiresAt = absolute >= 0 ? DateTimeOffset.FromUnixTimeMilliseconds(created + absolute) : null,
            IdleTimeout = idle,
            Data = data,
            Reason = reason,
            EndedAt = ended,
            Attempts = attempts,
        };
    }

    /// <summary>Collects field/value pairs. Field names are compared as bytes: no string is made for a metadata name.</summary>
    private struct Reader(TimeSpan idle)
    {
        private string? _user;
        private string? _reason;
        private long _created, _expiry, _node, _attempts;
        private long _absolute = -1, _last = -1;
        private long? _ended;
        private Dictionary<string, string>? _data;

        public void Add(RedisValue name, RedisValue value)
        {
            var bytes = (byte[]?)name;
            if (bytes is null || bytes.Length == 0)
            {
                return;
            }
            if (bytes[0] == (byte)DataPrefix)
            {
                _data ??= new Dictionary<string, string>(4, StringComparer.Ordinal);
                _data[System.Text.Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1)] = (string?)value ?? string.Empty;
                return;
            }
            if (bytes.Length == 1)
            {
                switch ((char)bytes[0])
                {
                    case 'u': _user = value; break;
                    case 'c': _created = Long(value); break;
                    case 'e': _expiry = Long(value); break;
                    case 'a': _absolute = Long(value); break;
                    case 'l': _last = Long(value); break;
                    case 'n': _node = Long(value); break;
                }
                return;
            }
            switch (System.Text.Encoding.ASCII.GetString(bytes))
            {
                case "reason": _reason = value; break;
                case "ended": _ended = Long(value); break;
                case "attempts": _attempts = Long(value); break;
            }
        }

        public readonly SessionRecord? Build(string sessionId) =>
            _user is null
                ? null
                : SessionRecord.Build(sessionId, _user, _created, _expiry, _absolute, _last, _node, idle,
                    (IReadOnlyDictionary<string, string>?)_data ?? new Dictionary<string, string>(0, StringComparer.Ordinal),
                    _reason, _ended is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null, (int)_attempts, string.Empty);
    }

    private static long Long(RedisValue value)
    {
        if (value.IsInteger && (long)value is var n)
        {
            return n;
        }
        var bytes = (byte[]?)value;
        return bytes is not null && Utf8Parser.TryParse(bytes, out long parsed, out var consumed) && consumed == bytes.Length ? parsed : 0;
    }
}
