using RedisSessions.Keys;
using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>What every script call of one manager passes the same way: the key schema and the settings, converted
/// once to the values the scripts take (milliseconds, words).</summary>
internal sealed class ScriptContext
{
    public ScriptContext(KeySchema keys, SessionOptions options)
    {
        Keys = keys;
        IdleMs = (long)options.InactiveTimeout.TotalMilliseconds;
        AbsoluteMs = options.AbsoluteTimeout is { } absolute ? (long)absolute.TotalMilliseconds : 0;
        GraceMs = (long)options.ExpiredSessionGrace.TotalMilliseconds;
        RetentionMs = (long)options.TerminatedSessionRetention.TotalMilliseconds;
        LeaseMs = (long)options.TerminationClaimTimeout.TotalMilliseconds;
        ResolutionMs = (long)options.EffectiveActivityResolution.TotalMilliseconds;
        NoticeMs = (long)options.TerminationNoticePeriod.TotalMilliseconds;
        MaxSessions = options.MaxSessionsPerUser;
        MaxDataBytes = options.MaxDataBytes;
        Policy = options.LimitPolicy == SessionLimitPolicy.RejectNew ? "reject" : "evict";
        Node = options.NodeName;
        Channel = (string)keys.PendingChannel!;
    }

    public KeySchema Keys { get; }

    public RedisValue IdleMs { get; }

    public RedisValue AbsoluteMs { get; }

    public RedisValue GraceMs { get; }

    public RedisValue RetentionMs { get; }

    public RedisValue LeaseMs { get; }

    public RedisValue ResolutionMs { get; }

    public RedisValue NoticeMs { get; }

    public RedisValue MaxSessions { get; }

    public RedisValue MaxDataBytes { get; }

    public RedisValue Policy { get; }

    public RedisValue Node { get; }

    /// <summary>The pending channel's name, as scripts publish on it.</summary>
    public RedisValue Channel { get; }

    /// <summary>The tag base, as the pending channel announces it.</summary>
    public RedisValue TagBase(string tag) => Keys.TagBase(tag);
}
