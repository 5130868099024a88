using RedisSessions.Administration;
using RedisSessions.Cli.Output;
using StackExchange.Redis;

namespace RedisSessions.Cli.Connection;

/// <summary>What a command works with: one connection, a <see cref="SessionManager"/> over it with background work off
/// and no callbacks (so terminations it makes are left pending, announced, for the farm's listeners), the
/// <see cref="SessionAdmin"/> over that manager (the only way the CLI reads or changes the store), and the console.</summary>
internal sealed class CliContext : IAsyncDisposable
{
    private CliContext(RedisTarget target, ConnectionMultiplexer redis, SessionManager manager, bool json)
    {
        Target = target;
        Redis = redis;
        Manager = manager;
        Admin = new SessionAdmin(manager);
        Json = json;
        Progress = new ProgressReporter(Console.Error, enabled: !Console.IsErrorRedirected);
    }

    public RedisTarget Target { get; }

    /// <summary>The connection, for <c>doctor</c>'s questions about the servers themselves (INFO, CONFIG, CLUSTER).</summary>
    public ConnectionMultiplexer Redis { get; }

    public SessionManager Manager { get; }

    public SessionAdmin Admin { get; }

    public string Prefix => Admin.KeyPrefix;

    public bool Json { get; }

    public TextWriter Out { get; } = Console.Out;

    public ProgressReporter Progress { get; }

    /// <summary>The primaries (connected, not replicas): where doctor's INFO and CONFIG GET go.</summary>
    public IReadOnlyList<IServer> Primaries
    {
        get
        {
            var primaries = new List<IServer>();
            foreach (var endpoint in Redis.GetEndPoints())
            {
                var server = Redis.GetServer(endpoint);
                if (server.IsConnected && !server.IsReplica)
                {
                    primaries.Add(server);
                }
            }
            return primaries;
        }
    }

    public static async Task<CliContext> ConnectAsync(RedisTarget target, bool json)
    {
        ConnectionMultiplexer redis;
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(target.Redis);
        }
        catch (Exception ex) when (IsUnreachable(ex))
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

    /// <summary>Errors that mean Redis can't be reached (at start or mid-command): exit code 3.</summary>
    public static bool IsUnreachable(Exception ex) => ex switch
    {
        SessionStoreUnavailableException or RedisConnectionException or RedisTimeoutException or TimeoutException or System.Net.Sockets.SocketException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnreachable),
        _ => false,
    };

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
