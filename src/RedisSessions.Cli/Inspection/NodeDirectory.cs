using RedisSessions.Cli.Connection;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>Where a session's idle timeout came from (see <see cref="NodeDirectory.IdleTimeoutOf"/>).</summary>
internal enum IdleTimeoutSource
{
    /// <summary><c>--inactive-timeout</c>: the operator's override, for every session.</summary>
    Option,

    /// <summary>The creating node's <c>InactiveTimeout</c>, as it registered it in <c>{prefix}:nodes</c> (<c>idle:{id}</c>).</summary>
    Node,

    /// <summary>The creating node has no <c>idle:</c> entry (older data, a registry deleted by hand):
    /// <c>RedisSessions:InactiveTimeout</c>, then 30 minutes.</summary>
    Default,
}

/// <summary>
/// The node registry (<c>{prefix}:nodes</c>: id → name, <c>'=' + name</c> → id, <c>'idle:' + id</c> → the node's
/// InactiveTimeout in ms, <c>#next</c>), read once per command (one HGETALL: it holds a few fields per node).
/// Session hashes don't store their idle timeout, and a session's last activity is its expiry minus the creating
/// node's timeout (unless the hash records it as <c>l</c>), so every command derives last activity from here:
/// <c>--inactive-timeout</c> when given, else the creating node's registered timeout, else the configured one.
/// </summary>
internal sealed class NodeDirectory
{
    private readonly Dictionary<long, string> _names;
    private readonly Dictionary<long, TimeSpan> _idle;
    private readonly TimeSpan? _override;
    private readonly TimeSpan _fallback;

    private NodeDirectory(Dictionary<long, string> names, Dictionary<long, TimeSpan> idle, TimeSpan? idleOverride, TimeSpan fallback)
    {
        _names = names;
        _idle = idle;
        _override = idleOverride;
        _fallback = fallback;
    }

    public static async Task<NodeDirectory> ReadAsync(CliContext context)
    {
        var (names, idle) = await NodeRegistry.ReadAllAsync(context.Db, context.Keys.Nodes);
        return new NodeDirectory(names, idle, context.Target.InactiveTimeoutOverride, context.Target.Options.InactiveTimeout);
    }

    /// <summary>The idle timeout records are first parsed with (<see cref="ReadAsync(CliContext, SessionRecord?)"/> then
    /// gives each its creating node's).</summary>
    public TimeSpan DefaultIdleTimeout => _override ?? _fallback;

    /// <summary>The idle timeout to derive the last activity of a session created by node <paramref name="nodeId"/>.</summary>
    public TimeSpan IdleTimeoutOf(long nodeId) => SourceOf(nodeId) switch
    {
        IdleTimeoutSource.Option => _override!.Value,
        IdleTimeoutSource.Node => _idle[nodeId],
        _ => _fallback,
    };

    public IdleTimeoutSource SourceOf(long nodeId) =>
        _override is not null ? IdleTimeoutSource.Option
        : _idle.ContainsKey(nodeId) ? IdleTimeoutSource.Node
        : IdleTimeoutSource.Default;

    /// <summary>The session record with the idle timeout of its creating node (which sets its last activity) and that
    /// node's name; null when there is no session.</summary>
    public async ValueTask<SessionRecord?> ReadAsync(CliContext context, SessionRecord? record)
    {
        if (record is null)
        {
            return null;
        }
        var idle = IdleTimeoutOf(record.NodeId);
        if (idle != record.IdleTimeout)
        {
            record = record.WithIdle(idle);
        }
        if (_names.TryGetValue(record.NodeId, out var name))
        {
            record.Node = name;
        }
        else
        {
            await context.Manager.Nodes.ResolveAsync(record); // registered after the read (or missing: shows as #id)
        }
        return record;
    }
}
