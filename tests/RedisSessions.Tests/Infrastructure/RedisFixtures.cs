using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;

namespace RedisSessions.Tests.Infrastructure;

/// <summary>A Redis the tests share: one private server or cluster for the whole run, one shared connection.
/// Each test isolates itself with its own key prefix, so tests run in parallel.</summary>
public abstract class RedisFixture : IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    /// <summary>"standalone" or "cluster".</summary>
    public abstract string Topology { get; }

    /// <summary>A StackExchange.Redis configuration string for the servers.</summary>
    public abstract string Configuration { get; }

    /// <summary>The shared connection. Tests must not dispose it.</summary>
    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Fixture not started.");

    public abstract Task StartServersAsync();

    public abstract Task StopServersAsync();

    public async Task InitializeAsync()
    {
        // A test that can't get a Redis fails here, loudly: nothing is skipped.
        await StartServersAsync();
        // The inspection connection reads keys synchronously (SCAN): give it room on a busy 2-core CI machine.
        var options = ConfigurationOptions.Parse(Configuration);
        options.SyncTimeout = 10_000;
        options.AllowAdmin = true; // tests flush scripts, as a restart would
        _connection = await ConnectionMultiplexer.ConnectAsync(options);
        if (!_connection.IsConnected)
        {
            throw new InvalidOperationException($"Could not connect to the test Redis at {Configuration}.");
        }
    }

    public async Task DisposeAsync()
    {
        _connection?.Dispose();
        await StopServersAsync();
    }

    /// <summary>Every key under <paramref name="prefix"/>, on every master (test inspection only).</summary>
    public async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        foreach (var endpoint in Connection.GetEndPoints())
        {
            var server = Connection.GetServer(endpoint);
#pragma warning disable CS0618
            if (!server.IsConnected || server.IsSlave)
#pragma warning restore CS0618
            {
                continue;
            }
            await Task.Yield();
            keys.AddRange(server.Keys(Connection.GetDatabase().Database, prefix + ":*", pageSize: 1000).Select(k => (string)k!));
        }
        return keys;
    }
}

public sealed class StandaloneRedisFixture : RedisFixture
{
    private RedisServerProcess? _server;

    public override string Topology => "standalone";

    public override string Configuration => _server!.Endpoint;

    public override async Task StartServersAsync() => _server = await RedisServerProcess.StartAsync();

    public override async Task StopServersAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class ClusterRedisFixture : RedisFixture
{
    private RedisClusterProcess? _cluster;

    public override string Topology => "cluster";

    public override string Configuration => _cluster!.Configuration;

    public RedisClusterProcess Cluster => _cluster!;

    public override async Task StartServersAsync() => _cluster = await RedisClusterProcess.StartAsync(3);

    public override async Task StopServersAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StandaloneCollection : ICollectionFixture<StandaloneRedisFixture>
{
    public const string Name = "standalone redis";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterRedisFixture>
{
    public const string Name = "redis cluster";
}
