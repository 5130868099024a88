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
            // Field names are compared as the bytes Redis sent: only a data key becomes a string.
            ReadOnlySpan<byte> field = ((ReadOnlyMemory<byte>)name).Span;
            if (field.StartsWith("d:"u8))
            {
                (_data ??= new Dictionary<string, string>(StringComparer.Ordinal))[System.Text.Encoding.UTF8.GetString(field[2..])] = (string?)value ?? string.Empty;
                return;
            }
            if (field.SequenceEqual("user"u8)) { _user = value; }
            else if (field.SequenceEqual("created"u8)) { _created = Number(value); }
            else if (field.SequenceEqual("last"u8)) { _last = Number(value); }
            else if (field.SequenceEqual("expires"u8)) { _expires = Number(value); }
            else if (field.SequenceEqual("absolute"u8)) { _absolute = Number(value); }
            else if (field.SequenceEqual("node"u8)) { _node = value; }
            else if (field.SequenceEqual("ended"u8)) { _ended = Number(value); }
            else if (field.SequenceEqual("reason"u8)) { _reason = value; }
            else if (field.SequenceEqual("attempt"u8)) { _attempt = Number(value); }
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

        private static long Number(RedisValue value) => value.TryParse(out long n) ? n : 0;
    }
}
