using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>One session hash as read from Redis (live or ended).</summary>
internal sealed class SessionRecord
{
    public const string DataPrefix = "data:";

    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset LastActivity { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? AbsoluteExpiresAt { get; init; }
    public TimeSpan IdleTimeout { get; init; }
    public string Node { get; init; } = string.Empty;
    public required IReadOnlyDictionary<string, string> Data { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int Attempts { get; init; }

    public static SessionRecord? FromHash(string sessionId, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }
        var flat = new RedisValue[entries.Length * 2];
        for (var i = 0; i < entries.Length; i++)
        {
            flat[2 * i] = entries[i].Name;
            flat[2 * i + 1] = entries[i].Value;
        }
        return FromFlat(sessionId, flat);
    }

    public static SessionRecord? FromResult(string sessionId, RedisResult result)
    {
        var items = (RedisResult[]?)result;
        if (items is null || items.Length == 0)
        {
            return null;
        }
        var flat = new RedisValue[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            flat[i] = (RedisValue)items[i];
        }
        return FromFlat(sessionId, flat);
    }

    public static SessionRecord? FromFlat(string sessionId, RedisValue[] flat)
    {
        if (flat.Length < 2)
        {
            return null;
        }
        string? user = null, node = null, reason = null;
        long created = 0, last = 0, expires = 0, idle = 0, attempts = 0;
        long? absolute = null, ended = null;
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            var name = (string)flat[i]!;
            var value = flat[i + 1];
            switch (name)
            {
                case "user": user = value; break;
                case "created": created = Long(value); break;
                case "last": last = Long(value); break;
                case "expires": expires = Long(value); break;
                case "idle": idle = Long(value); break;
                case "absolute": absolute = Long(value); break;
                case "node": node = value; break;
                case "reason": reason = value; break;
                case "ended": ended = Long(value); break;
                case "attempts": attempts = Long(value); break;
                default:
                    if (name.StartsWith(DataPrefix, StringComparison.Ordinal))
                    {
                        data[name[DataPrefix.Length..]] = (string?)value ?? string.Empty;
                    }
                    break;
            }
        }
        if (user is null)
        {
            return null;
        }
        return new SessionRecord
        {
            SessionId = sessionId,
            UserId = user,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(created),
            LastActivity = DateTimeOffset.FromUnixTimeMilliseconds(last),
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires),
            AbsoluteExpiresAt = absolute is { } a ? DateTimeOffset.FromUnixTimeMilliseconds(a) : null,
            IdleTimeout = TimeSpan.FromMilliseconds(idle),
            Node = node ?? string.Empty,
            Data = data,
            Reason = reason,
            EndedAt = ended is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
            Attempts = (int)attempts,
        };
    }

    private static long Long(RedisValue value) =>
        long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
