using RedisSessions.LocalRedis;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>
/// The Redis of a farm test. Standalone: a Docker container (Testcontainers, deploy/redis.conf), like the contract
/// suite's, that every process of the farm reaches on its published port. Cluster: 3 masters as local redis-server
/// processes, like the contract suite's cluster fixture (tests/Shared/Redis/RedisFixtures.cs says why a cluster can't
/// run behind Docker's port publishing). Tests that do something to the server itself keep a
/// <see cref="RedisServerProcess"/> of their own: restarting it on its own AOF at the same address (a container
/// started again gets a new published port, and the processes under test must find the server where they were told
/// it is).
/// </summary>
public sealed class FarmRedis : IAsyncDisposable
{
    private readonly IAsyncDisposable _servers;

    private FarmRedis(IAsyncDisposable servers, string configuration, string topology)
    {
        _servers = servers;
        Endpoint = configuration;
        Topology = topology;
    }

    /// <summary>What every process of the farm connects to: <c>host:port</c>, or a cluster's masters.</summary>
    public string Endpoint { get; }

    /// <summary>"standalone" or "cluster".</summary>
    public string Topology { get; }

    /// <summary>A standalone server; <paramref name="serverArguments"/> follow deploy/redis.conf on redis-server's
    /// command line.</summary>
    public static async Task<FarmRedis> StartAsync(params string[] serverArguments)
    {
        var container = await RedisContainers.StartAsync(serverArguments);
        return new FarmRedis(container, RedisContainers.Endpoint(container), "standalone");
    }

    /// <summary>"standalone" (a container) or "cluster" (3 masters).</summary>
    public static async Task<FarmRedis> StartAsync(string topology)
    {
        if (topology == "standalone")
        {
            return await StartAsync();
        }
        var cluster = await RedisClusterProcess.StartAsync(3);
        return new FarmRedis(cluster, cluster.Configuration, "cluster");
    }

    public ValueTask DisposeAsync() => _servers.DisposeAsync();
}
