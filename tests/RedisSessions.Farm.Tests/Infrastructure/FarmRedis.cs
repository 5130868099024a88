using Testcontainers.Redis;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>
/// The standalone Redis of a farm test: a Docker container (Testcontainers, deploy/redis.conf), like the contract
/// suite's, that every process of the farm reaches on its published port. Only tests that do something to the server
/// itself keep a <see cref="RedisSessions.LocalRedis.RedisServerProcess"/>: restarting it on its own AOF at the same
/// address (a container started again gets a new published port, and the processes under test must find the server
/// where they were told it is), or making it a cluster node (see the cluster fixture in tests/Shared/Redis for why a
/// cluster can't run behind Docker's port publishing).
/// </summary>
public sealed class FarmRedis : IAsyncDisposable
{
    private readonly RedisContainer _container;

    private FarmRedis(RedisContainer container) => _container = container;

    /// <summary><c>host:port</c> for every process of the farm.</summary>
    public string Endpoint => RedisContainers.Endpoint(_container);

    /// <summary>Starts one; <paramref name="serverArguments"/> follow deploy/redis.conf on redis-server's command line.</summary>
    public static async Task<FarmRedis> StartAsync(params string[] serverArguments) => new(await RedisContainers.StartAsync(serverArguments));

    public ValueTask DisposeAsync() => _container.DisposeAsync();
}
