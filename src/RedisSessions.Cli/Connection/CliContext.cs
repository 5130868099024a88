using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Connection;

/// <summary>What a command works with: one connection, a <see cref="SessionManager"/> over it with background work off
/// and no callbacks (so terminations it makes are left pending for the farm's listeners), the key schema, and the
/// console.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    private readonly Lazy<Task<NodeDirectory>> _nodes;

    private CliContext(RedisTarget target, ConnectionMultiplexer redis, SessionManager manager, bool json)
    {
        Target = target;
        Redis = redis;
        Manager = manager;
        Keys = new SessionKeys(target.Prefix);
        Json = json;
        Progress = new ProgressReporter(Console.Error, enabled: !Console.IsErrorRedirected);
        _nodes = new Lazy<Task<NodeDirectory>>(() => NodeDirectory.ReadAsync(this));
    }

    public RedisTarget Target { get; }

    public ConnectionMultiplexer Redis { get; }

    public SessionManager Manager { get; }

    public SessionKeys Keys { get; }

    public IDatabase Db => Redis.GetDatabase();

    public bool Json { get; }

    public TextWriter Out { get; } = Console.Out;

    public ProgressReporter Progress { get; }

    /// <summary>The node registry (names and idle timeouts), read on first use and then kept for the command's run.</summary>
    public Task<NodeDirectory> NodesAsync() => _nodes.Value;

    public static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public static long NowMs => Now.ToUnixTimeMilliseconds();

    /// <summary>The masters (connected, not replicas): where SCAN, INFO and CONFIG GET go.</summary>
    public IReadOnlyList<IServer> Masters
    {
        get
        {
            var masters = new List<IServer>();
            foreach (var endpoint in Redis.GetEndPoints())
            {
                var server = Redis.GetServer(endpoint);
                if (server.IsConnected && !server.IsReplica)
                {
                    masters.Add(server);
                }
            }
            return masters;
        }
    }

    public static async Task<CliContext> ConnectAsync(RedisTarget target, bool json)
    {
        ConnectionMultiplexer redis;
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(target.Redis);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw Unreachable(target, ex);
        }
        if (!redis.IsConnected)
        {
            redis.Dispose();
            throw new CliException(ExitCodes.Unreachable, $"cannot reach Redis at {target.Display}.");
        }
        try
        {
            return new CliContext(target, redis, new SessionManager(redis, target.Options), json);
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    public static CliException Unreachable(RedisTarget target, Exception ex)
    {
        var reason = ex.Message.Contains("It was not possible to connect", StringComparison.Ordinal)
            ? "nothing answered (connection refused or timed out)"
            : RedisTarget.OneLine(ex.Message);
        return new CliException(ExitCodes.Unreachable, $"cannot reach Redis at {target.Display}: {reason}.", ex);
    }

    public async ValueTask DisposeAsync()
    {
        Progress.Clear();
        await Manager.ShutdownAsync();
        await Redis.CloseAsync(allowCommandsToComplete: true);
        Redis.Dispose();
    }
}
