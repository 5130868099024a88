using System.Globalization;

namespace RedisSessions.Benchmarks;

/// <summary>What one run measures and for how long. The defaults are the full run the published figures come from;
/// <c>--quick</c> keeps every phase and every target row but with fewer sessions, shorter phases and three pairs.</summary>
internal sealed record BenchmarkSettings
{
    /// <summary>Sessions created per side (login and logout phases, request cycle, memory).</summary>
    public int Sessions { get; init; } = 100_000;

    /// <summary>Operations in flight, on every side.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Length of one run of the request-cycle and write phases.</summary>
    public double Seconds { get; init; } = 5;

    /// <summary>Length of one run of the other timed phases (and of every timed phase on the cluster).</summary>
    public double ShortSeconds { get; init; } = 3;

    /// <summary>How many times each phase runs on each side, the sides alternating (ours, theirs, ours, theirs, ...);
    /// the report gives the medians.</summary>
    public int Pairs { get; init; } = 5;

    /// <summary>Warm-up per operation kind before anything is measured (JIT on both sides, script cache).</summary>
    public double WarmupSeconds { get; init; } = 2;

    /// <summary>Requests per redis-benchmark run.</summary>
    public int CeilingRequests { get; init; } = 1_000_000;

    /// <summary>Sessions of the one large user in the scaling phases.</summary>
    public int LargeUserSessions { get; init; } = 50_000;

    /// <summary>Operations per run of a scaling phase.</summary>
    public int ScalingOperations { get; init; } = 3_000;

    /// <summary>The --latency mode: expiry-to-callback latency instead of the side-by-side run.</summary>
    public bool Latency { get; init; }

    /// <summary>Live sessions during the latency runs.</summary>
    public int LatencyLiveSessions { get; init; } = 20_000;

    /// <summary>Sessions expiring per minute during the latency runs.</summary>
    public int LatencyExpiringPerMinute { get; init; } = 10_000;

    /// <summary>Seconds of expiries measured per latency configuration (after <see cref="LatencySettleSeconds"/>).</summary>
    public double LatencyWindowSeconds { get; init; } = 60;

    /// <summary>Seconds each latency configuration runs before expiries count (the handler settles in).</summary>
    public double LatencySettleSeconds { get; init; } = 10;

    public bool Quick { get; init; }

    public bool RunPeer { get; init; } = true;

    public bool RunCluster { get; init; } = true;

    public bool RunCeilings { get; init; } = true;

    public int ClusterMasters { get; init; } = 3;

    /// <summary>The command line as the user typed it (benchmarks/run passes it on), for the report.</summary>
    public string CommandLine { get; init; } = string.Empty;

    /// <summary>The repository root (where deploy/redis.conf and benchmarks/peer live).</summary>
    public required string RepositoryRoot { get; init; }

    public string PeerDirectory => Path.Combine(RepositoryRoot, "benchmarks", "peer");

    public string ResultsDirectory => Path.Combine(RepositoryRoot, "benchmarks", "results");

    public string ChartPath => Path.Combine(RepositoryRoot, "docs", "benchmark-chart.svg");

    /// <summary>Where the report goes: latest.md / latency.md for full runs, quick.md / latency-quick.md (git-ignored) otherwise.</summary>
    public string ReportPath => Path.Combine(ResultsDirectory, (Latency ? "latency" : Quick ? "quick" : "latest") + (Latency && Quick ? "-quick" : string.Empty) + ".md");

    public const string Usage = """
        RedisSessions benchmark: RedisSessions vs express-session + connect-redis on private Redis servers.

          benchmarks/run [options]                 side by side on one redis-server, then a 3-master cluster
          benchmarks/run --latency [options]       expiry -> termination callback latency (minutes)

          --quick            fewer sessions, shorter phases, 3 pairs (a development check, not for publishing)
          --sessions N       sessions per side (default 100000; --quick 20000)
          --seconds S        length of one request-cycle / write run (default 5; --quick 1.5)
          --pairs P          runs per side of each phase, the sides alternating (default 5; --quick 3)
          --concurrency C    operations in flight (default 64)
          --no-peer          RedisSessions only
          --no-cluster       skip the 3-master cluster
          --no-ceilings      skip the redis-benchmark runs
          --window S         --latency: seconds of expiries measured per configuration (default 60; --quick 15)
          --help
        """;

    public static BenchmarkSettings? Parse(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            return null;
        }
        var settings = new BenchmarkSettings
        {
            RepositoryRoot = FindRepositoryRoot(),
            CommandLine = Environment.GetEnvironmentVariable("REDIS_SESSIONS_BENCHMARK_COMMAND") is { Length: > 0 } typed
                ? typed
                : "dotnet RedisSessions.Benchmarks.dll " + string.Join(' ', args),
            Latency = args.Contains("--latency"),
        };
        if (args.Contains("--quick"))
        {
            settings = settings with
            {
                Quick = true, Sessions = 20_000, Seconds = 1.5, ShortSeconds = 1, Pairs = 3, WarmupSeconds = 1, CeilingRequests = 200_000,
                ScalingOperations = 2_000, LatencyWindowSeconds = 15, LatencySettleSeconds = 5,
            };
        }
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--quick" or "--latency" => settings,
                "--sessions" => settings with { Sessions = PositiveInt(Next(), "--sessions") },
                "--seconds" => settings.WithSeconds(PositiveDouble(Next(), "--seconds")),
                "--pairs" => settings with { Pairs = PositiveInt(Next(), "--pairs") },
                "--concurrency" => settings with { Concurrency = PositiveInt(Next(), "--concurrency") },
                "--window" => settings with { LatencyWindowSeconds = PositiveDouble(Next(), "--window") },
                "--no-peer" => settings with { RunPeer = false },
                "--no-cluster" => settings with { RunCluster = false },
                "--no-ceilings" => settings with { RunCeilings = false },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n\n{Usage}"),
            };
        }
        if (settings.Sessions < settings.Pairs * settings.Concurrency)
        {
            throw new ArgumentException($"--sessions must be at least pairs x concurrency ({settings.Pairs * settings.Concurrency}).");
        }
        return settings;
    }

    private BenchmarkSettings WithSeconds(double seconds) => this with { Seconds = seconds, ShortSeconds = Math.Min(ShortSeconds, seconds) };

    private static int PositiveInt(string text, string name) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer (was {text}).");

    private static double PositiveDouble(string text, string name) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive number (was {text}).");

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "RedisSessions.sln")))
                {
                    return directory.FullName;
                }
            }
        }
        throw new InvalidOperationException("Run the benchmark from inside the repository (RedisSessions.sln was not found above the current directory).");
    }
}
