using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// The key schema. Every key of one user lives in one of <see cref="BucketCount"/> buckets, written as a hash tag
/// (<c>{1a3}</c>), so all keys one operation touches share a hash slot and the same scripts run on Redis Cluster:
/// <code>
/// {prefix}:{b}:session:{sid}   hash  u user, c created (Unix ms), e expiry (ms after c), n node id, [a absolute
///                                    deadline (ms after c)], [l last activity (ms after c), once capped by a],
///                                    .{key} data...                                    TTL expiry + retention
/// {prefix}:{b}:users           hash  user → its session ids, oldest first, space-separated; the user is the id itself
///                                    when short and plain ([A-Za-z0-9._@+-]{1,64}), else '#' + sha1 hex of it
/// {prefix}:{b}:expiry          zset  user → a lower bound of its sessions' earliest expiry (Unix ms): what the sweep walks
/// {prefix}:{b}:due             string, TTL = about the bucket's earliest expiry: its keyspace "expired" event wakes a sweep
/// {prefix}:{b}:count           int   sessions of the bucket not ended yet (for stats)
/// {prefix}:{b}:ended:{sid}     hash  the final snapshot plus reason, ended, attempts, claimed_by   TTL retention
/// {prefix}:{b}:pending         zset  member sid, score = when the claim runs out (ms)
/// {prefix}:nodes               hash  node id → node name, '=' + name → id, 'idle:' + id → its InactiveTimeout (ms), '#next'
/// {prefix}:events              stream of terminations (session, user, reason, at, node), MAXLEN ~ EventStreamMaxLength
/// {prefix}:heartbeat:{node}    hash  node, host, pid, started, last: a listening process, TTL 3 heartbeat intervals
/// </code>
/// A session id is the bucket (3 hex digits) followed by 22 base64url characters of 16 CSPRNG bytes.
/// </summary>
internal sealed class SessionKeys
{
    public const int BucketCount = 1024;
    public const int SessionIdLength = 3 + 22;

    private readonly string _prefix;
    private readonly string[] _bases;

    public SessionKeys(string prefix)
    {
        _prefix = prefix;
        _bases = new string[BucketCount];
        for (var i = 0; i < BucketCount; i++)
        {
            _bases[i] = $"{prefix}:{{{BucketName(i)}}}:";
        }
    }

    public string Prefix => _prefix;

    /// <summary>The user's bucket: FNV-1a (64-bit) of the id's UTF-8 bytes, finished with MurmurHash3's fmix64 so every
    /// bit of it mixes into the low 10. Stable across processes, machines and versions (the bucket is part of every key
    /// of the user); not a defence against anyone choosing user ids to crowd one bucket, which costs them nothing but
    /// slower index writes for those users.</summary>
    public static string BucketOf(string userId)
    {
        var max = Encoding.UTF8.GetMaxByteCount(userId.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(userId, bytes);
        var hash = 14695981039346656037UL;
        foreach (var b in bytes[..length])
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return BucketNames[(int)(hash % BucketCount)];
    }

    private static readonly string[] BucketNames = Enumerable.Range(0, BucketCount).Select(BucketName).ToArray();

    public static string BucketName(int bucket) => bucket.ToString("x3", System.Globalization.CultureInfo.InvariantCulture);

    public static IEnumerable<string> AllBuckets() => Enumerable.Range(0, BucketCount).Select(BucketName);

    public static string NewSessionId(string bucket)
    {
        // 16 bytes of a per-thread block filled from the OS CSPRNG 4 KiB at a time: one RandomNumberGenerator call per
        // 256 ids instead of one per id (that call, not the id, was most of a login's client time).
        var pool = t_random ??= new RandomPool();
        Span<byte> random = stackalloc byte[16];
        pool.Take(random);
        return string.Concat(bucket, Base64Url.EncodeToString(random));
    }

    [ThreadStatic]
    private static RandomPool? t_random;

    private sealed class RandomPool
    {
        private readonly byte[] _block = new byte[4096];
        private int _used = 4096;

        public void Take(Span<byte> destination)
        {
            if (_used + destination.Length > _block.Length)
            {
                RandomNumberGenerator.Fill(_block);
                _used = 0;
            }
            _block.AsSpan(_used, destination.Length).CopyTo(destination);
            // Never hand the same bytes out twice, even if something later read the block.
            _block.AsSpan(_used, destination.Length).Clear();
            _used += destination.Length;
        }
    }

    /// <summary>True when <paramref name="sessionId"/> has the shape of an id this library issues; its bucket comes out.
    /// Anything else can't name a session, and no key is built from it.</summary>
    public static bool TryParseSessionId(string sessionId, out string bucket)
    {
        bucket = string.Empty;
        if (sessionId.Length != SessionIdLength)
        {
            return false;
        }
        for (var i = 0; i < 3; i++)
        {
            if (!char.IsAsciiHexDigitLower(sessionId[i]))
            {
                return false;
            }
        }
        if (int.Parse(sessionId.AsSpan(0, 3), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) >= BucketCount)
        {
            return false;
        }
        for (var i = 3; i < sessionId.Length; i++)
        {
            var c = sessionId[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }
        bucket = sessionId[..3];
        return true;
    }

    /// <summary>The user part of the user-index key; mirrors <c>user_part</c> in the Lua scripts.</summary>
    public static string UserPart(string userId)
    {
        if (userId.Length is > 0 and <= 64 && userId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '+' or '-'))
        {
            return userId;
        }
#pragma warning disable CA5350 // SHA1 only names a key here (Lua has redis.sha1hex); nothing relies on it for security.
        return "#" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(userId)));
#pragma warning restore CA5350
    }

    public string BucketBase(string bucket) =>
        bucket.Length == 3 && int.TryParse(bucket, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var n) && n < BucketCount
            ? _bases[n]
            : $"{_prefix}:{{{bucket}}}:";

    public RedisKey Session(string bucket, string sessionId) => string.Concat(BucketBase(bucket), "session:", sessionId);

    public RedisKey Ended(string bucket, string sessionId) => string.Concat(BucketBase(bucket), "ended:", sessionId);

    /// <summary>The bucket's user index (a hash: user part → session ids).</summary>
    public RedisKey Users(string bucket) => BucketBase(bucket) + "users";

    public RedisKey Expiry(string bucket) => BucketBase(bucket) + "expiry";

    public RedisKey Due(string bucket) => BucketBase(bucket) + "due";

    /// <summary>A key the expiry listener writes with a 1 ms TTL to check that a primary publishes expired events.</summary>
    public RedisKey Probe(string bucket) => BucketBase(bucket) + "probe";

    public RedisKey Count(string bucket) => BucketBase(bucket) + "count";

    public RedisKey Pending(string bucket) => BucketBase(bucket) + "pending";

    /// <summary>The node registry (node id ↔ name).</summary>
    public RedisKey Nodes => _prefix + ":nodes";

    public RedisKey Events => _prefix + ":events";

    /// <summary>Heartbeat of a listening process: a hash (node, host, pid, started, last — Unix ms) with a TTL of
    /// three heartbeat intervals, so a dead listener disappears by itself. Find them with SCAN MATCH {prefix}:heartbeat:*.</summary>
    public RedisKey Heartbeat(string node) => _prefix + ":heartbeat:" + node;

    /// <summary>Channel on which scripts announce terminations left for another process to handle.</summary>
    public RedisChannel PendingChannel => RedisChannel.Literal(_prefix + ":pending");

    /// <summary>Parses the bucket out of a bucket base (<c>rs:{1a3}:</c>), as announced on the pending channel.</summary>
    public static bool TryParseBucketBase(string text, out string bucket)
    {
        bucket = string.Empty;
        var open = text.IndexOf('{', StringComparison.Ordinal);
        if (open < 0 || text.Length < open + 5 || text[open + 4] != '}')
        {
            return false;
        }
        var candidate = text.Substring(open + 1, 3);
        if (!candidate.All(char.IsAsciiHexDigitLower) || int.Parse(candidate, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) >= BucketCount)
        {
            return false;
        }
        bucket = candidate;
        return true;
    }

    /// <summary>Parses a bucket's due key name (from a keyspace notification) back into the bucket.</summary>
    public bool TryParseDueKey(string key, out string bucket)
    {
        bucket = string.Empty;
        var head = _prefix + ":{";
        if (!key.StartsWith(head, StringComparison.Ordinal) || key.Length != head.Length + 3 + "}:due".Length
            || !key.EndsWith("}:due", StringComparison.Ordinal))
        {
            return false;
        }
        return TryParseBucketBase(key[_prefix.Length..], out bucket);
    }
}
