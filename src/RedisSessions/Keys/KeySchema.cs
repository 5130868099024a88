using StackExchange.Redis;

namespace RedisSessions.Keys;

/// <summary>
/// The key layout, as <c>redis-cli</c> shows it (prefix <c>rs</c>, tag <c>{1a3}</c>; times are Unix milliseconds of
/// Redis's own clock):
/// <code>
/// rs:{1a3}:session:{sid}   hash    user, created, last, expires, [absolute], node, d:{key}...   TTL expires + grace
///                                  once ended, the termination's snapshot: + ended, reason, attempt, owner
///                                                                                               TTL retention
/// rs:{1a3}:user:{user}     zset    the user's sessions: member session id, score its expiry
/// rs:{1a3}:due             zset    the tag's users by their earliest expiry: what the sweep walks
/// rs:{1a3}:pending         zset    ended sessions waiting for a handler: score 0 = ready for any handler,
///                                  else when the lease of the process running it runs out
/// rs:{1a3}:wake            string  expires at the tag's next expiry or lease deadline: its keyspace event wakes a sweep
/// rs:{1a3}:sessions        integer the tag's sessions not ended yet (for stats)
/// rs:events                stream  every handled termination (trimmed)
/// rs:heartbeat:{node}      hash    a listening process: node, host, pid, started, last     TTL 3 heartbeat intervals
/// </code>
/// Keys of one user share a tag, so every operation stays in one hash slot (see <see cref="Tags"/>).
/// </summary>
internal sealed class KeySchema
{
    private readonly string[] _bases;

    public KeySchema(string prefix)
    {
        Prefix = prefix;
        _bases = Tags.All.Select(tag => $"{prefix}:{{{tag}}}:").ToArray();
        Events = prefix + ":events";
        PendingChannel = RedisChannel.Literal(prefix + ":pending");
    }

    public string Prefix { get; }

    /// <summary>The start of every key of a tag: <c>rs:{1a3}:</c>. Also what the pending channel announces.</summary>
    public string TagBase(string tag) => _bases[int.Parse(tag, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture)];

    public RedisKey Session(string tag, string sessionId) => string.Concat(TagBase(tag), "session:", sessionId);

    public RedisKey User(string tag, string member) => string.Concat(TagBase(tag), "user:", member);

    public RedisKey Due(string tag) => TagBase(tag) + "due";

    public RedisKey Pending(string tag) => TagBase(tag) + "pending";

    public RedisKey Wake(string tag) => TagBase(tag) + "wake";

    public RedisKey Sessions(string tag) => TagBase(tag) + "sessions";

    /// <summary>A key the expiry listener writes with a 1 ms TTL to check that a primary publishes expired events.</summary>
    public RedisKey Probe(string tag) => TagBase(tag) + "probe";

    public RedisKey Events { get; }

    /// <summary>Heartbeat of a listening process. Find them with SCAN MATCH {prefix}:heartbeat:*.</summary>
    public RedisKey Heartbeat(string node) => Prefix + ":heartbeat:" + node;

    /// <summary>Channel on which scripts announce terminations left for any handler (the message is the tag base).</summary>
    public RedisChannel PendingChannel { get; }

    /// <summary>The tag of a tag base (<c>rs:{1a3}:</c>) announced on the pending channel.</summary>
    public bool TryParseTagBase(string? text, out string tag)
    {
        tag = string.Empty;
        var head = Prefix + ":{";
        if (text is null || text.Length != head.Length + 5 || !text.StartsWith(head, StringComparison.Ordinal) || !text.EndsWith("}:", StringComparison.Ordinal)
            || !Tags.IsTag(text.AsSpan(head.Length, 3)))
        {
            return false;
        }
        tag = Tags.Canonical(text.AsSpan(head.Length, 3));
        return true;
    }

    /// <summary>Splits a key of a tag, <c>{prefix}:{tag}:{kind}[:{rest}]</c> (what a keyspace scan returns): kind
    /// <c>session</c> with the session id as rest, <c>user</c> with the user's member, or a tag key (due, pending, ...)
    /// with no rest.</summary>
    public bool TryParseTagKey(string? key, out string tag, out string kind, out string rest)
    {
        tag = kind = rest = string.Empty;
        var head = Prefix + ":{";
        if (key is null || key.Length < head.Length + 6 || !key.StartsWith(head, StringComparison.Ordinal) || key[head.Length + 3] != '}'
            || key[head.Length + 4] != ':' || !Tags.IsTag(key.AsSpan(head.Length, 3)))
        {
            return false;
        }
        tag = Tags.Canonical(key.AsSpan(head.Length, 3));
        var tail = key[(head.Length + 5)..];
        var colon = tail.IndexOf(':', StringComparison.Ordinal);
        kind = colon < 0 ? tail : tail[..colon];
        rest = colon < 0 ? string.Empty : tail[(colon + 1)..];
        return true;
    }

    /// <summary>The tag of a wake key (from a keyspace notification).</summary>
    public bool TryParseWakeKey(string? key, out string tag)
    {
        tag = string.Empty;
        const string tail = "wake";
        return key is not null && key.EndsWith(tail, StringComparison.Ordinal) && TryParseTagBase(key[..^tail.Length], out tag);
    }
}

/// <summary>A user as its keys see it: the id, its tag, its member in the due index and its index key.</summary>
internal readonly record struct UserKeys(string UserId, string Tag, string Member, RedisKey Index)
{
    public static UserKeys For(KeySchema keys, string userId)
    {
        var tag = Tags.Of(userId);
        var member = UserIds.Member(userId);
        return new UserKeys(userId, tag, member, keys.User(tag, member));
    }

    /// <summary>A user known only by its member in the due index (the sweep): the id itself is not needed.</summary>
    public static UserKeys ForMember(KeySchema keys, string tag, string member) => new(string.Empty, tag, member, keys.User(tag, member));
}
