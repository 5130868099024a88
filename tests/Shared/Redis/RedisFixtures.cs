using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Testcontainers.Redis;
using Xunit;

namespace RedisSessions.Testing;

/// <summary>A private Redis the tests of one collection share: one server (a container) or cluster (local processes)
/// for the whole collection, one connection for setting up and inspecting. Each test isolates itself with its own key
/// prefix, so tests run in parallel. A Redis that can't start fails the tests: nothing is skipped. Linked as source by the test projects that
/// use it; each keeps its own collection definitions and may tune the connection in <see cref="ConfigureConnection"/>.</summary>
public abstract partial class RedisFixture : IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    /// <summary>"standalone" or "cluster".</summary>
    public abstract string Topology { get; }

    /// <summary>A StackExchange.Redis configuration string for the servers (what the CLI gets as --redis).</summary>
    public abstract string Configuration { get; }

    /// <summary>The shared connection. Tests must not dispose it.</summary>
    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Fixture not started.");

    public IDatabase Db => Connection.GetDatabase();

    protected abstract Task StartServersAsync();

    protected abstract Task StopServersAsync();

    /// <summary>Lets a test project adjust the shared connection's options (implemented in that project, if at all).</summary>
    partial void ConfigureConnection(ConfigurationOptions options);

    /// <summary>What a client needs besides <see cref="Configuration"/> to reach these servers (a private CA to trust).</summary>
    protected virtual void ConfigureClient(ConfigurationOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        // A test that can't get a Redis fails here, loudly: nothing is skipped.
        await StartServersAsync();
        var options = ConfigurationOptions.Parse(Configuration);
        ConfigureClient(options);
        ConfigureConnection(options);
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
        foreach (var server in Masters())
        {
            await Task.Yield();
            keys.AddRange(server.Keys(Db.Database, prefix + ":*", pageSize: 1000).Select(k => (string)k!));
        }
        return keys;
    }

    /// <summary>Every key under <paramref name="prefix"/> with its type and content (test inspection only: SCAN on
    /// every master), sorted, so two calls can be compared to prove nothing changed.</summary>
    public async Task<SortedDictionary<string, string>> DumpAsync(string prefix)
    {
        var dump = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var db = Db;
        foreach (var server in Masters())
        {
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

    /// <summary>The connected masters, each checked just before it is used.</summary>
    private IEnumerable<IServer> Masters()
    {
        foreach (var endpoint in Connection.GetEndPoints())
        {
            var server = Connection.GetServer(endpoint);
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }
            yield return server;
        }
    }
}

/// <summary>One standalone Redis in a Docker container (<see cref="RedisContainers"/>: Testcontainers, configured
/// with deploy/redis.conf). Without a Docker engine it fails, saying what to do. Tests that kill or restart the server
/// and read its files on disk use <see cref="RedisServerProcess"/> of their own instead (AvailabilityTests).</summary>
public sealed class StandaloneRedisFixture : RedisFixture
{
    private RedisContainer? _container;

    public override string Topology => "standalone";

    public override string Configuration => RedisContainers.Endpoint(Container);

    /// <summary>The host port the container's Redis is published on.</summary>
    public int Port => RedisContainers.Port(Container);

    /// <summary>The running container (for <c>ExecAsync</c>, logs).</summary>
    public RedisContainer Container => _container ?? throw new InvalidOperationException("Fixture not started.");

    protected override async Task StartServersAsync() => _container = await RedisContainers.StartAsync();

    protected override async Task StopServersAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}

/// <summary>A private Redis Cluster of 3 masters, as local redis-server processes on loopback ports (deploy/redis.conf,
/// like the containers), not containers: a cluster node announces one address to clients and to the other nodes
/// alike, and clients follow it on every MOVED redirect and in CLUSTER SLOTS. Behind Docker's bridge network the
/// address published on 127.0.0.1 for the host is not one the peers can reach (inside a container 127.0.0.1 is the
/// container itself), and the container addresses the peers use are not the host's way in. Host networking is not
/// there on every developer's engine, and no image registry is reachable here for anything fancier.</summary>
public sealed class ClusterRedisFixture : RedisFixture
{
    private RedisClusterProcess? _cluster;

    public override string Topology => "cluster";

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

/// <summary>One standalone Redis spoken to over TLS only, with a certificate from a private CA made with openssl for
/// this fixture (<see cref="PrivateCertificateAuthority"/>): the contract suite runs over it as it does over the other
/// topologies, on a connection that trusts the CA (<c>ConfigurationOptions.TrustIssuer</c>). A local redis-server
/// process, not a container: it is given the certificate files just made, and its TLS port must be on the loopback
/// address the server certificate names. Its plain port stays open for the process's own readiness check; no client
/// of the tests is given it.</summary>
public sealed class TlsRedisFixture : RedisFixture
{
    private PrivateCertificateAuthority? _ca;
    private RedisServerProcess? _server;
    private int _tlsPort;

    public override string Topology => "tls";

    public override string Configuration => $"127.0.0.1:{_tlsPort},ssl=true";

    /// <summary>The CA's certificate: what a client must trust (<see cref="SessionOptions.TrustedCertificateAuthorityPath"/>).</summary>
    public string CertificateAuthorityPath => _ca?.CertificatePath ?? throw new InvalidOperationException("Fixture not started.");

    protected override void ConfigureClient(ConfigurationOptions options) => options.TrustIssuer(CertificateAuthorityPath);

    protected override async Task StartServersAsync()
    {
        _ca = await PrivateCertificateAuthority.CreateAsync();
        _tlsPort = LoopbackPorts.Free();
        _server = await RedisServerProcess.StartAsync("--tls-port", _tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls-cert-file", _ca.ServerCertificatePath, "--tls-key-file", _ca.ServerKeyPath, "--tls-ca-cert-file", _ca.CertificatePath,
            "--tls-auth-clients", "no");
    }

    protected override async Task StopServersAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _ca?.Dispose();
    }
}
