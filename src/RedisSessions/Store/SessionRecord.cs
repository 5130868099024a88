using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>One session hash as read from Redis: a live session, or the snapshot of an ended one (see
/// <see cref="Keys.KeySchema"/> for the fields). Immutable; a write that changes it makes a new one.</summary>
internal sealed record SessionRecord
{
    /// <summary>The prefix of data fields in the hash.</summary>
    public const string DataPrefix = "d:";

    public required string SessionId { get; init; }

    public required string UserId { get; init; }

    public long CreatedMs { get; init; }

    public long LastMs { get; init; }

    public long ExpiresMs { get; init; }

    /// <summary>The absolute deadline, or 0 without one.</summary>
    public long AbsoluteMs { get; init; }

    public string Node { get; init; } = string.Empty;

    public required IReadOnlyDictionary<string, string> Data { get; init; }

    /// <summary>When it ended (0 while live).</summary>
    public long EndedMs { get; init; }

    /// <summary>Why it ended (wire name), once ended.</summary>
    public string? Reason { get; init; }

    /// <summary>The attempt of the lease that claimed it (0 while nobody has).</summary>
    public long Attempt { get; init; }

    public bool IsEnded => EndedMs > 0;

    /// <summary>Reads HGETALL's entries; null for an empty hash or one that is not a session (no user field).</summary>
    public static SessionRecord? From(string sessionId, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }
        var reader = new Reader();
        foreach (var entry in entries)
        {
            reader.Add(entry.Name, entry.Value);
        }
        return reader.Build(sessionId);
    }

    /// <summary>Reads a flat field, value list (an HGETALL a script returned).</summary>
    public static SessionRecord? From(string sessionId, RedisValue[] fields)
    {
        var reader = new Reader();
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            reader.Add(fields[i], fields[i + 1]);
        }
        return reader.Build(sessionId);
    }

    private struct Reader
    {
        private string? _user;
        private long _created, _last, _expires, _absolute, _ended, _attempt;
        private string? _node, _reason;
        private Dictionary<string, string>? _data;

        public void Add(RedisValue name, RedisValue value)
        {
            var field = (string)name!;
            if (field.StartsWith(DataPrefix, StringComparison.Ordinal))
            {
                (_data ??= new Dictionary<string, string>(StringComparer.Ordinal))[field[DataPrefix.Length..]] = (string?)value ?? string.Empty;
                return;
            }
            switch (field)
            {
                case "user": _user = value; break;
                case "created": _created = Number(value); break;
                case "last": _last = Number(value); break;
                case "expires": _expires = Number(value); break;
                case "absolute": _absolute = Number(value); break;
                case "node": _node = value; break;
                case "ended": _ended = Number(value); break;
                case "reason": _reason = value; break;
                case "attempt": _attempt = Number(value); break;
                default: break; // owner, and fields of later versions
            }
        }

        public readonly SessionRecord? Build(string sessionId) => _user is null ? null : new SessionRecord
        {
            SessionId = sessionId,
            UserId = _user,
            CreatedMs = _created,
            LastMs = _last,
            ExpiresMs = _expires,
            AbsoluteMs = _absolute,
            Node = _node ?? string.Empty,
            Data = (IReadOnlyDictionary<string, string>?)_data ?? new Dictionary<string, string>(StringComparer.Ordinal),
            EndedMs = _ended,
            Reason = _reason,
            Attempt = _attempt,
        };

        private static long Number(RedisValue value) =>
            long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }
}
