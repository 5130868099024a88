using System.Collections.Concurrent;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// Node names are stored once, in <c>{prefix}:nodes</c>, and each session hash keeps only the creating node's small id
/// (<c>n</c>): a node name such as <c>web-7f9c4d-x2k8p/12345</c> would otherwise be repeated in every session.
/// Ids are assigned on first use by a script (the same name always gets the same id) and cached for the process's life.
/// </summary>
internal sealed class NodeRegistry(SessionManager manager)
{
    private readonly ConcurrentDictionary<long, string> _names = new();
    private long _ownId;
    private Task<long>? _registering;

    /// <summary>This process's node id (registered on first call; one round trip, once; retried after a failure).</summary>
    public ValueTask<long> OwnIdAsync()
    {
        var id = Volatile.Read(ref _ownId);
        if (id > 0)
        {
            return ValueTask.FromResult(id);
        }
        var current = Volatile.Read(ref _registering);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            var started = RegisterAsync();
            current = Interlocked.CompareExchange(ref _registering, started, current) == current ? started : Volatile.Read(ref _registering)!;
        }
        return new ValueTask<long>(current);
    }

    private async Task<long> RegisterAsync()
    {
        var result = await manager.RunAsync("register-node", () => SessionScripts.RegisterNode.EvaluateAsync(manager.Db,
            [manager.Keys.Nodes], [manager.Settings.NodeName, (long)manager.Settings.InactiveTimeout.TotalMilliseconds])).ConfigureAwait(false);
        var id = (long)result;
        _names[id] = manager.Settings.NodeName;
        Volatile.Write(ref _ownId, id);
        return id;
    }

    /// <summary>Sets <see cref="SessionRecord.Node"/> from the record's node id, reading the registry when the id is new
    /// to this process. A node missing from the registry (deleted by hand) shows as <c>#id</c>.</summary>
    public ValueTask ResolveAsync(SessionRecord record)
    {
        if (record.NodeId <= 0)
        {
            return ValueTask.CompletedTask;
        }
        if (_names.TryGetValue(record.NodeId, out var name))
        {
            record.Node = name;
            return ValueTask.CompletedTask;
        }
        return new ValueTask(ReadAsync(record));
    }

    public async ValueTask ResolveAsync(IEnumerable<SessionRecord> records)
    {
        foreach (var record in records)
        {
            await ResolveAsync(record).ConfigureAwait(false);
        }
    }

    /// <summary>The whole registry (one HGETALL: a few fields per node): node names and the idle timeouts nodes
    /// registered, by id. The fields are the ones <see cref="SessionScripts.RegisterNode"/> writes.</summary>
    public static async Task<(Dictionary<long, string> Names, Dictionary<long, TimeSpan> IdleTimeouts)> ReadAllAsync(IDatabaseAsync db, RedisKey registry)
    {
        const string idlePrefix = "idle:";
        var names = new Dictionary<long, string>();
        var idle = new Dictionary<long, TimeSpan>();
        foreach (var entry in await db.HashGetAllAsync(registry).ConfigureAwait(false))
        {
            var field = (string?)entry.Name ?? string.Empty;
            if (field.StartsWith(idlePrefix, StringComparison.Ordinal))
            {
                if (TryParseId(field.AsSpan(idlePrefix.Length), out var node) && TryParseId((string?)entry.Value, out var ms))
                {
                    idle[node] = TimeSpan.FromMilliseconds(ms);
                }
            }
            else if (TryParseId(field, out var id) && !entry.Value.IsNullOrEmpty)
            {
                names[id] = (string)entry.Value!;
            }
        }
        return (names, idle);
    }

    private static bool TryParseId(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value > 0;

    private async Task ReadAsync(SessionRecord record)
    {
        var name = await manager.RunAsync("nodes", () => manager.Db.HashGetAsync(manager.Keys.Nodes, record.NodeId)).ConfigureAwait(false);
        record.Node = name.IsNullOrEmpty ? "#" + record.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture) : (string)name!;
        // Remembered either way: a registry deleted by hand must not cost every later read a round trip.
        _names[record.NodeId] = record.Node;
    }
}
