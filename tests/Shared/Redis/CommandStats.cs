using System.Globalization;
using StackExchange.Redis;

namespace RedisSessions.Testing;

/// <summary>What Redis says it executed (INFO commandstats): calls and CPU microseconds per command. Tests compare two
/// readings to bound the work something did on the server, without looking at the wall clock.</summary>
public sealed class CommandStats
{
    /// <summary>Commands a test's own inspection or the client's housekeeping send, left out of <see cref="Calls"/>.</summary>
    public static readonly IReadOnlySet<string> Housekeeping = new HashSet<string>(StringComparer.Ordinal)
    {
        "info", "ping", "echo", "cluster", "client", "config", "hello", "command", "slowlog", "subscribe", "psubscribe",
        "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "readonly", "asking",
    };

    private CommandStats(IReadOnlyDictionary<string, (long Calls, long Usec)> commands) => Commands = commands;

    /// <summary>Command (lowercase, e.g. <c>evalsha</c>) → calls and microseconds, summed over the servers read.</summary>
    public IReadOnlyDictionary<string, (long Calls, long Usec)> Commands { get; }

    /// <summary>Calls of every command but <see cref="Housekeeping"/>.</summary>
    public long Calls => Commands.Where(c => !Housekeeping.Contains(c.Key)).Sum(c => c.Value.Calls);

    public (long Calls, long Usec) this[string command] => Commands.GetValueOrDefault(command);

    /// <summary>Summed over every connected primary of <paramref name="redis"/>.</summary>
    public static async Task<CommandStats> ReadAsync(IConnectionMultiplexer redis)
    {
        var total = new Dictionary<string, (long Calls, long Usec)>(StringComparer.Ordinal);
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            foreach (var (command, value) in (await ReadAsync(server)).Commands)
            {
                var sum = total.GetValueOrDefault(command);
                total[command] = (sum.Calls + value.Calls, sum.Usec + value.Usec);
            }
        }
        return new CommandStats(total);
    }

    /// <summary>One server's.</summary>
    public static async Task<CommandStats> ReadAsync(IServer server)
    {
        var commands = new Dictionary<string, (long Calls, long Usec)>(StringComparer.Ordinal);
        foreach (var line in (await server.InfoRawAsync("commandstats") ?? string.Empty).Split('\n'))
        {
            // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,rejected_calls=0,failed_calls=0
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var fields = line[(colon + 1)..].Trim().Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            commands[line[8..colon]] = (long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture));
        }
        return new CommandStats(commands);
    }

    /// <summary>What ran between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static CommandStats operator -(CommandStats after, CommandStats before)
    {
        var delta = new Dictionary<string, (long Calls, long Usec)>(StringComparer.Ordinal);
        foreach (var (command, value) in after.Commands)
        {
            var earlier = before[command];
            if (value.Calls != earlier.Calls)
            {
                delta[command] = (value.Calls - earlier.Calls, value.Usec - earlier.Usec);
            }
        }
        return new CommandStats(delta);
    }

    public static CommandStats Subtract(CommandStats after, CommandStats before) => after - before;

    /// <summary>"evalsha 12, hgetall 3" (busiest first), for assertion messages and test output.</summary>
    public override string ToString() =>
        Commands.Count == 0 ? "nothing" : string.Join(", ", Commands.OrderByDescending(c => c.Value.Calls).Select(c => $"{c.Key} {c.Value.Calls}"));
}
