using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;

namespace RedisSessions.Cli.Tests.Infrastructure;

/// <summary>A private Redis the tests of one collection share (one server or cluster, one connection for setting up
/// and inspecting). Each test uses its own key prefix. A Redis that can't start fails the tests: nothing is skipped.</summary>
public abstract class RedisFixture : IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    /// <summary>What the CLI gets as --redis.</summary>
    public abstract string Configuration { get; }

    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Fixture not started.");

    public IDatabase Db => Connection.GetDatabase();

    protected abstract Task StartServersAsync();

    protected abstract Task StopServersAsync();

    public async Task InitializeAsync()
    {
        await StartServersAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(Configuration);
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

    /// <summary>Every key under <paramref name="prefix"/> with its type and content (test inspection only: SCAN on
    /// every master), sorted, so two calls can be compared to prove nothing changed.</summary>
    public async Task<SortedDictionary<string, string>> DumpAsync(string prefix)
    {
        var dump = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var db = Db;
        foreach (var endpoint in Connection.GetEndPoints())
        {
            var server = Connection.GetServer(endpoint);
#pragma warning disable CS0618 // IsSlave is IsReplica in StackExchange.Redis 2.x.
            if (!server.IsConnected || server.IsSlave)
#pragma warning restore CS0618
            {
                continue;
            }
            var keys = await Task.Run(() => server.Keys(db.Database, prefix + ":*", pageSize: 1000).ToList());
            foreach (var key in keys)
            {
                var type = await db.KeyTypeAsync(key);
                var content = type switch
                {
                    RedisType.Hash => string.Join(",", (await db.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal)),
                    RedisType.SortedSet => string.Join(",", (await db.SortedSetRangeByRankWithScoresAsync(key)).Select(e => $"{e.Element}@{e.Score}")),
                    RedisType.String => (string?)await db.StringGetAsync(key) ?? string.Empty,
                    _ => type.ToString(),
                };
                dump[(string)key!] = $"{type}:{content}";
            }
        }
        return dump;
    }
}

public sealed class StandaloneRedisFixture : RedisFixture
{
    private RedisServerProcess? _server;

    public override string Configuration => _server!.Endpoint;

    public int Port => _server!.Port;

    protected override async Task StartServersAsync() => _server = await RedisServerProcess.StartAsync();

    protected override async Task StopServersAsync()
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

    public override string Configuration => _cluster!.Configuration;

    public RedisClusterProcess Cluster => _cluster!;

    protected override async Task StartServersAsync() => _cluster = await RedisClusterProcess.StartAsync(3);

    protected override async Task StopServersAsync()
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
    public const string Name = "cli on standalone redis";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterRedisFixture>
{
    public const string Name = "cli on redis cluster";
}
