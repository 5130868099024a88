using System.Globalization;

namespace RedisSessions.Benchmarks;

/// <summary>What one run measures and for how long. The defaults keep a full run (standalone, peer, ceilings and the
/// 3-master cluster) under about five minutes on a 2-core machine; <c>--quick</c> takes about a minute.</summary>
internal sealed record BenchmarkSettings
{
    /// <summary>Sessions created per side (the login and logout phases, and the memory figure).</summary>
    public int Sessions { get; init; } = 100_000;

    /// <summary>Operations in flight, on both sides.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Length of the headline timed phases (request cycle, write one field).</summary>
    public double Seconds { get; init; } = 10;

    /// <summary>Length of the other timed phases, and of every timed phase on the cluster.</summary>
    public double ShortSeconds { get; init; } = 5;

    /// <summary>Warm-up per operation kind before anything is measured (JIT on both sides, script cache).</summary>
    public double WarmupSeconds { get; init; } = 2;

    /// <summary>Requests per redis-benchmark ceiling run (the EVALSHA runs use a third).</summary>
    public int CeilingRequests { get; init; } = 1_500_000;

    public bool Quick { get; init; }

    public bool RunPeer { get; init; } = true;

    public bool RunCluster { get; init; } = true;

    public bool RunCeilings { get; init; } = true;

    public int ClusterMasters { get; init; } = 3;

    /// <summary>The repository root (where deploy/redis.conf and benchmarks/peer live).</summary>
    public required string RepositoryRoot { get; init; }

    public string PeerDirectory => Path.Combine(RepositoryRoot, "benchmarks", "peer");

    public string ResultsDirectory => Path.Combine(RepositoryRoot, "benchmarks", "results");

    public string ChartPath => Path.Combine(RepositoryRoot, "docs", "benchmark-chart.svg");

    public const string Usage = """
        RedisSessions benchmark: RedisSessions vs express-session + connect-redis on one private redis-server.

          dotnet run -c Release --project benchmarks/RedisSessions.Benchmarks -- [options]
          (or simply: benchmarks/run [options])

          --quick            20,000 sessions, 2 s phases (about a minute)
          --sessions N       sessions per side (default 100000)
          --seconds S        headline phase length in seconds (default 10)
          --concurrency C    operations in flight (default 64)
          --no-peer          RedisSessions only
          --no-cluster       skip the 3-master cluster run
          --no-ceilings      skip the redis-benchmark ceilings
          --help
        """;

    public static BenchmarkSettings? Parse(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            return null;
        }
        var settings = new BenchmarkSettings { RepositoryRoot = FindRepositoryRoot() };
        if (args.Contains("--quick"))
        {
            settings = settings with
            {
                Quick = true, Sessions = 20_000, Seconds = 2, ShortSeconds = 2, WarmupSeconds = 1, CeilingRequests = 400_000,
            };
        }
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--quick" => settings,
                "--sessions" => settings with { Sessions = PositiveInt(Next(), "--sessions") },
                "--seconds" => settings.WithSeconds(PositiveDouble(Next(), "--seconds")),
                "--concurrency" => settings with { Concurrency = PositiveInt(Next(), "--concurrency") },
                "--no-peer" => settings with { RunPeer = false },
                "--no-cluster" => settings with { RunCluster = false },
                "--no-ceilings" => settings with { RunCeilings = false },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n\n{Usage}"),
            };
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
