namespace RedisSessions.Benchmarks;

/// <summary>The phases both sides run, in this order, and what each one is on each side.</summary>
internal static class Phases
{
    public const string Create = "create";
    public const string Get = "get";
    public const string GetRefreshDue = "get-refresh-due";
    public const string Touch = "touch";
    public const string SetData = "set-data";
    public const string Terminate = "terminate";

    /// <summary>The client ceiling: StackExchange.Redis alone, a plain DEL of a missing key per operation.</summary>
    public const string ClientDel = "client-del";

    /// <summary>The client ceiling with the request cycle's command: a plain HGETALL of the same session hashes.</summary>
    public const string ClientHashGetAll = "client-hgetall";
}

/// <summary>One phase of one side: what the client saw and what Redis did.</summary>
internal sealed record PhaseMeasurement(string Phase, LoadResult Load, RedisCost Cost);

/// <summary>A kind of key a side stores, with its MEMORY USAGE (bytes) and how many of them a session needs.</summary>
internal sealed record KeyKind(string Kind, string Example, double Bytes, string Per);

/// <summary>Redis memory for <see cref="Sessions"/> sessions of three small data fields.</summary>
internal sealed record MemoryMeasurement(
    long Sessions,
    double BytesPerSession,
    double KeysPerSession,
    double? RetainedAfterLogoutPerSession,
    IReadOnlyList<KeyKind> KeyKinds);

/// <summary>Everything measured for one side on one topology.</summary>
internal sealed class SideResult(string name)
{
    public string Name { get; } = name;

    public Dictionary<string, PhaseMeasurement> Phases { get; } = new(StringComparer.Ordinal);

    public MemoryMeasurement? Memory { get; set; }

    public PhaseMeasurement? this[string phase] => Phases.GetValueOrDefault(phase);
}

/// <summary>What one idle application process asks of Redis by itself (background sweep, deadline refresh, heartbeat).</summary>
internal sealed record BackgroundLoad(double Seconds, double RoundTripsPerSecond, double CommandsPerSecond, double ServerCpuPercent, string Breakdown);

/// <summary>A redis-benchmark figure: the same commands as a client sends, pipelined, on the same server.</summary>
internal sealed record Ceiling(string Name, string Commands, double OpsPerSecond);

/// <summary>One topology (standalone or cluster): both sides, and the ceilings where they were measured.</summary>
internal sealed class TopologyResult(string name, string redisVersion, int masters)
{
    public string Name { get; } = name;

    public string RedisVersion { get; } = redisVersion;

    public int Masters { get; } = masters;

    public SideResult? RedisSessions { get; set; }

    public SideResult? Peer { get; set; }

    public List<Ceiling> Ceilings { get; } = [];

    public BackgroundLoad? Background { get; set; }

    /// <summary>The workload's slow log entries over the measured phases ("none" or by command).</summary>
    public string Slowlog { get; set; } = "none";

    public double? CeilingOf(string name) => Ceilings.FirstOrDefault(c => c.Name == name)?.OpsPerSecond;
}
