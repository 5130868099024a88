using System.Diagnostics;
using System.Net;
using StackExchange.Redis;

namespace RedisSessions.LocalRedis;

/// <summary>A private Redis Cluster of <c>redis-server</c> masters (no replicas) on free loopback ports, all slots
/// assigned and the cluster state <c>ok</c> on every node before <see cref="StartAsync"/> returns.</summary>
public sealed class RedisClusterProcess : IAsyncDisposable
{
    private RedisClusterProcess(IReadOnlyList<RedisServerProcess> masters) => Masters = masters;

    /// <summary>The masters.</summary>
    public IReadOnlyList<RedisServerProcess> Masters { get; }

    /// <summary>A StackExchange.Redis configuration string naming every master.</summary>
    public string Configuration => string.Join(",", Masters.Select(m => m.Endpoint));

    /// <summary>Starts <paramref name="masters"/> servers and joins them with <c>redis-cli --cluster create</c>.</summary>
    public static async Task<RedisClusterProcess> StartAsync(int masters = 3)
    {
        var nodes = new List<RedisServerProcess>();
        try
        {
            for (var i = 0; i < masters; i++)
            {
                nodes.Add(await RedisServerProcess.StartAsync("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000").ConfigureAwait(false));
            }
            var create = new ProcessStartInfo(RedisTools.CliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            create.ArgumentList.Add("--cluster");
            create.ArgumentList.Add("create");
            foreach (var node in nodes)
            {
                create.ArgumentList.Add(node.Endpoint);
            }
            create.ArgumentList.Add("--cluster-replicas");
            create.ArgumentList.Add("0");
            create.ArgumentList.Add("--cluster-yes");
            using (var process = Process.Start(create)!)
            {
                var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
                var error = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
                await process.WaitForExitAsync().ConfigureAwait(false);
                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"redis-cli --cluster create failed ({process.ExitCode}): {output} {error}");
                }
            }
            var cluster = new RedisClusterProcess(nodes);
            await cluster.WaitUntilReadyAsync().ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    /// <summary>Waits until every master reports <c>cluster_state:ok</c> and knows every other master.</summary>
    public async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var ready = true;
            foreach (var node in Masters)
            {
                var info = await RedisTools.RunCliAsync("-p", node.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "cluster", "info").ConfigureAwait(false);
                if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains($"cluster_known_nodes:{Masters.Count}", StringComparison.Ordinal))
                {
                    ready = false;
                    break;
                }
            }
            if (ready)
            {
                // Also make sure a cluster-aware client sees every slot covered.
                using var client = await ConnectionMultiplexer.ConnectAsync(Configuration).ConfigureAwait(false);
                if (client.GetEndPoints().Length >= Masters.Count && client.GetServer(client.GetEndPoints()[0]).ClusterConfiguration?.Nodes.Count >= Masters.Count)
                {
                    return;
                }
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
        throw new TimeoutException("The Redis cluster did not reach cluster_state:ok within 30 s.");
    }

    /// <summary>Stops every node and deletes their directories.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Masters)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);
}
