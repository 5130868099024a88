using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace RedisSessions.LocalRedis;

/// <summary>A private Redis Cluster of <c>redis-server</c> processes on free loopback ports: masters holding every slot,
/// and optionally replicas of each (for failover tests), with the cluster state <c>ok</c> on every node and every
/// replica in sync before <see cref="StartAsync"/> returns.</summary>
public sealed class RedisClusterProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private RedisClusterProcess(IReadOnlyList<RedisServerProcess> masters, IReadOnlyList<RedisServerProcess> replicas)
    {
        Masters = masters;
        Replicas = replicas;
        Nodes = [.. masters, .. replicas];
    }

    /// <summary>The nodes created as masters (a failover can make one of their replicas master instead).</summary>
    public IReadOnlyList<RedisServerProcess> Masters { get; }

    /// <summary>The nodes created as replicas, <c>replicasPerMaster</c> of each master in turn (empty without replicas).</summary>
    public IReadOnlyList<RedisServerProcess> Replicas { get; }

    /// <summary>Every node: the masters, then the replicas.</summary>
    public IReadOnlyList<RedisServerProcess> Nodes { get; }

    /// <summary>A StackExchange.Redis configuration string naming every node.</summary>
    public string Configuration => string.Join(",", Nodes.Select(m => m.Endpoint));

    /// <summary>Starts <paramref name="masters"/> servers, joins them with <c>redis-cli --cluster create</c> (every slot
    /// assigned), then adds <paramref name="replicasPerMaster"/> replicas to each master (<c>redis-cli --cluster
    /// add-node --cluster-slave</c>) and waits until they are in sync.</summary>
    public static async Task<RedisClusterProcess> StartAsync(int masters = 3, int replicasPerMaster = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(masters, 3);
        ArgumentOutOfRangeException.ThrowIfNegative(replicasPerMaster);
        var primaries = new List<RedisServerProcess>();
        var replicas = new List<RedisServerProcess>();
        try
        {
            for (var i = 0; i < masters; i++)
            {
                primaries.Add(await StartNodeAsync().ConfigureAwait(false));
            }
            var create = new List<string> { "--cluster", "create" };
            create.AddRange(primaries.Select(p => p.Endpoint));
            create.AddRange(["--cluster-replicas", "0", "--cluster-yes"]);
            await RunClusterCommandAsync(create).ConfigureAwait(false);
            // Replicas join one at a time, each told which master to follow (so the roles are known, not left to
            // redis-cli's placement).
            for (var r = 0; r < replicasPerMaster; r++)
            {
                foreach (var master in primaries)
                {
                    var replica = await StartNodeAsync().ConfigureAwait(false);
                    replicas.Add(replica);
                    var masterId = (await RedisTools.RunCliAsync("-p", Text(master.Port), "cluster", "myid").ConfigureAwait(false)).Trim();
                    await RunClusterCommandAsync(["--cluster", "add-node", replica.Endpoint, master.Endpoint, "--cluster-slave", "--cluster-master-id", masterId]).ConfigureAwait(false);
                }
            }
            var cluster = new RedisClusterProcess(primaries, replicas);
            await cluster.WaitUntilReadyAsync().ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            foreach (var node in primaries.Concat(replicas))
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>Waits until every running node reports <c>cluster_state:ok</c> and knows every node, every replica's
    /// link to its master is up, and a cluster-aware client sees the whole topology.</summary>
    public async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        var running = Nodes.Where(n => n.IsRunning).ToList();
        var waiting = "no check yet";
        while (clock.Elapsed < ReadyTimeout)
        {
            waiting = await NotReadyAsync(running).ConfigureAwait(false) ?? string.Empty;
            if (waiting.Length == 0)
            {
                // Also make sure a cluster-aware client sees every running node and every slot covered.
                using var client = await ConnectionMultiplexer.ConnectAsync(string.Join(",", running.Select(n => n.Endpoint))).ConfigureAwait(false);
                var endpoints = client.GetEndPoints();
                var known = client.GetServer(endpoints[0]).ClusterConfiguration?.Nodes.Count ?? 0;
                if (endpoints.Length >= running.Count && known >= running.Count)
                {
                    return;
                }
                waiting = $"a client sees {endpoints.Length} endpoints and {known} nodes";
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
        throw new TimeoutException($"The Redis cluster did not reach cluster_state:ok with every replica in sync within {ReadyTimeout.TotalSeconds:0} s: {waiting}.");
    }

    /// <summary>Why a running node is not ready yet, or null when all are.</summary>
    private async Task<string?> NotReadyAsync(IReadOnlyList<RedisServerProcess> running)
    {
        foreach (var node in running)
        {
            var port = Text(node.Port);
            var info = await RedisTools.RunCliAsync("-p", port, "cluster", "info").ConfigureAwait(false);
            if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains($"cluster_known_nodes:{Nodes.Count}", StringComparison.Ordinal))
            {
                return $"{node.Endpoint} says {string.Join(' ', info.Split('\n').Where(l => l.StartsWith("cluster_state", StringComparison.Ordinal) || l.StartsWith("cluster_known_nodes", StringComparison.Ordinal)).Select(l => l.Trim()))}";
            }
            var replication = await RedisTools.RunCliAsync("-p", port, "info", "replication").ConfigureAwait(false);
            if (replication.Contains("role:slave", StringComparison.Ordinal) && !replication.Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return $"{node.Endpoint} is a replica whose link to its master is not up";
            }
        }
        return null;
    }

    /// <summary>Stops every node and deletes their directories.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);

    private static Task<RedisServerProcess> StartNodeAsync() =>
        RedisServerProcess.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000");

    private static async Task RunClusterCommandAsync(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(RedisTools.CliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments.Take(2))} failed ({process.ExitCode}): {await output.ConfigureAwait(false)} {await error.ConfigureAwait(false)}");
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
