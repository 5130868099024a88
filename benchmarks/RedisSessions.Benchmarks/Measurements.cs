namespace RedisSessions.Benchmarks;

/// <summary>The sides a phase runs on, as the report names them.</summary>
internal static class Sides
{
    /// <summary>RedisSessions over the connection <c>SessionManager.ConnectAsync</c> opens.</summary>
    public const string Ours = "RedisSessions";

    /// <summary>RedisSessions over a multiplexer the caller opened (<c>new SessionManager(multiplexer, options)</c>).</summary>
    public const string OursOverCaller = "RedisSessions, caller's multiplexer";

    public const string Peer = "connect-redis";

    /// <summary>StackExchange.Redis alone (the client ceiling).</summary>
    public const string Client = "StackExchange.Redis alone";

    /// <summary>The scaling phases: a user with few sessions, and one with very many.</summary>
    public const string SmallUser = "user with 10 sessions";

    public const string LargeUser = "user with 50,000 sessions";
}

/// <summary>The phases, in the order they run.</summary>
internal static class Phases
{
    public const string Login = "login";
    public const string Request = "request cycle";
    public const string ClientHashGetAll = "plain HGETALL";
    public const string RequestRefreshDue = "request cycle, refresh due";
    public const string Refresh = "refresh only";
    public const string Write = "write one field";
    public const string Logout = "logout";
    public const string LogoutHandled = "logout, callback registered";
    public const string ScaleLogin = "login (no limit)";
    public const string ScaleRefresh = "refresh (session object)";
    public const string ScaleLogout = "logout (session object)";
    public const string EndUser = "end every session of the user";
}

/// <summary>What the client side saw in one phase.</summary>
/// <param name="ClientCpuMs">CPU time of the client process over the phase (every thread).</param>
/// <param name="AllocatedBytes">Bytes the .NET client allocated over the phase (null for the peer).</param>
internal sealed record LoadResult(long Operations, double Seconds, double P50Ms, double P99Ms, long Errors, string? FirstError, double ClientCpuMs, long? AllocatedBytes = null)
{
    public double OperationsPerSecond => Seconds > 0 ? Operations / Seconds : 0;

    public double ClientCpuUsPerOp => ClientCpuMs * 1000 / Math.Max(1, Operations);

    public double? AllocatedBytesPerOp => AllocatedBytes is { } bytes ? (double)bytes / Math.Max(1, Operations) : null;
}

/// <summary>One run of one phase on one side: pair <see cref="Pair"/> of the alternation.</summary>
internal sealed record PhaseRun(string Side, string Phase, int Pair, LoadResult Load, RedisCost Cost);

/// <summary>Memory left after every session ended and its termination was handled.</summary>
/// <param name="Label">What the process was configured with.</param>
/// <param name="Notice">Its TerminationNoticePeriod.</param>
/// <param name="Handled">Terminations its callback ran.</param>
/// <param name="LeftBytes">used_memory after, minus before the sessions were created.</param>
/// <param name="Left">The keys left, by kind.</param>
internal sealed record MemoryAfterEnd(string Label, TimeSpan Notice, long Handled, long LeftBytes, IReadOnlyList<KeyGroup> Left);

/// <summary>Redis memory for <see cref="Sessions"/> sessions of three small data fields on an empty Redis.</summary>
/// <param name="Side">Whose sessions.</param>
/// <param name="Sessions">How many.</param>
/// <param name="BytesPerSession">used_memory delta / sessions, one figure per time the sessions were created.</param>
/// <param name="KeysPerSession">DBSIZE / sessions.</param>
/// <param name="Loaded">The keys, by kind, with every session live.</param>
/// <param name="After">Left once they ended (RedisSessions: one per TerminationNoticePeriod tried; connect-redis: after destroy).</param>
internal sealed record MemoryMeasurement(string Side, long Sessions, IReadOnlyList<double> BytesPerSession, double KeysPerSession, IReadOnlyList<KeyGroup> Loaded,
    IReadOnlyList<MemoryAfterEnd> After)
{
    public double MedianBytesPerSession => Stats.Median(BytesPerSession);
}

/// <summary>What one idle application process asks of Redis by itself (background sweep, deadline refresh, heartbeat).</summary>
internal sealed record BackgroundLoad(double Seconds, double RoundTripsPerSecond, double CommandsPerSecond, double ServerCpuPercent, string Breakdown);

/// <summary>A redis-benchmark figure: the same commands as a client sends, pipelined, on the same server.</summary>
internal sealed record Ceiling(string Name, string Commands, double OpsPerSecond);

/// <summary>One topology (standalone or cluster): every run of every phase, memory, the slow log.</summary>
internal sealed class TopologyResult(string name, string redisVersion, int masters)
{
    public string Name { get; } = name;

    public string RedisVersion { get; } = redisVersion;

    public int Masters { get; } = masters;

    public List<PhaseRun> Runs { get; } = [];

    public List<MemoryMeasurement> Memory { get; } = [];

    public List<Ceiling> Ceilings { get; } = [];

    public BackgroundLoad? Background { get; set; }

    /// <summary>Every slow log entry of the whole topology run.</summary>
    public IReadOnlyList<SlowEntry> Slowlog { get; set; } = [];

    /// <summary>slowlog-log-slower-than, in microseconds, as the server reported it.</summary>
    public string SlowlogThresholdUs { get; set; } = "?";

    /// <summary>How long ending every session of the 50,000-session user took (TerminateUserSessionsAsync).</summary>
    public TimeSpan? EndLargeUser { get; set; }

    public TimeSpan Duration { get; set; }

    /// <summary>Time the Redis processes ran on a core over the run.</summary>
    public TimeSpan RedisOnCpu { get; set; }

    /// <summary>Time the Redis processes were runnable but waited for a core (other work on the machine).</summary>
    public TimeSpan RedisWaiting { get; set; }

    public IEnumerable<PhaseRun> RunsOf(string side, string phase) => Runs.Where(r => r.Side == side && r.Phase == phase);

    public bool Has(string side, string phase) => RunsOf(side, phase).Any();

    /// <summary>The median over the pairs of a figure of one side's runs of a phase (null when it did not run).</summary>
    public double? Median(string side, string phase, Func<PhaseRun, double> figure)
    {
        var values = RunsOf(side, phase).Select(figure).ToList();
        return values.Count == 0 ? null : Stats.Median(values);
    }

    /// <summary>The median over the pairs of (a's figure / b's figure), each pair's two runs next to each other in time.</summary>
    public double? MedianRatio(string sideA, string phaseA, string sideB, string phaseB, Func<PhaseRun, double> figure)
    {
        var b = RunsOf(sideB, phaseB).ToDictionary(r => r.Pair);
        var ratios = RunsOf(sideA, phaseA).Where(r => b.ContainsKey(r.Pair)).Select(r => figure(r) / figure(b[r.Pair])).ToList();
        return ratios.Count == 0 ? null : Stats.Median(ratios);
    }

    public MemoryMeasurement? MemoryOf(string side) => Memory.FirstOrDefault(m => m.Side == side);
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var index = Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1);
        return sorted[index];
    }
}
