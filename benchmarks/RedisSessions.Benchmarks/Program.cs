using System.Diagnostics;
using RedisSessions.Benchmarks;
using RedisSessions.LocalRedis;

// The benchmark program (not a test): RedisSessions against express-session + connect-redis, side by side on the same
// private Redis, then the same on a 3-master cluster (or, with --latency, expiry-to-callback latency). Prints one
// markdown report and writes it to benchmarks/results/. See benchmarks/README.md.
BenchmarkSettings? settings;
try
{
    settings = BenchmarkSettings.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
if (settings is null)
{
    Console.WriteLine(BenchmarkSettings.Usage);
    return 0;
}

_ = RedisTools.ServerPath; // fails early, with the install hint, when redis-server is missing
if (!settings.Latency && settings.RunCeilings && !File.Exists(RedisBenchmarkTool.Path))
{
    Console.Error.WriteLine($"{RedisBenchmarkTool.Path} is missing (package redis-tools); run with --no-ceilings or install it.");
    return 2;
}
var peerVersions = "not run";
var nodeVersion = "not run";
if (settings.RunPeer && !settings.Latency)
{
    await PeerSide.EnsureInstalledAsync(settings.PeerDirectory);
    peerVersions = PeerSide.InstalledVersions(settings.PeerDirectory);
    nodeVersion = PeerSide.NodeVersion();
}

var clock = Stopwatch.StartNew();
var environment = RunEnvironment.Capture(settings, nodeVersion, peerVersions);
string report;
if (settings.Latency)
{
    Scenario.Log($"expiry -> callback latency: {settings.LatencyLiveSessions:N0} live sessions, {settings.LatencyExpiringPerMinute:N0} expiring per minute, " +
        $"{settings.LatencyWindowSeconds:0} s measured per configuration{(settings.Quick ? " (quick)" : string.Empty)}");
    var configurations = await LatencyScenario.RunAsync(settings);
    report = LatencyScenario.Report(settings, environment, clock.Elapsed, RunEnvironment.LoadAverage(), configurations);
}
else
{
    Scenario.Log($"{settings.Sessions:N0} sessions per side, {settings.Concurrency} in flight, {settings.Pairs} pairs, {settings.Seconds:0.##} s request-cycle runs{(settings.Quick ? " (quick)" : string.Empty)}");
    var standalone = await Scenario.RunStandaloneAsync(settings);
    var cluster = settings.RunCluster ? await Scenario.RunClusterAsync(settings) : null;
    report = ReportWriter.Build(settings, environment, clock.Elapsed, RunEnvironment.LoadAverage(), standalone, cluster);
    if (!settings.Quick && settings.RunPeer)
    {
        var footnote = $"benchmarks/run, {environment.StartedUtc:yyyy-MM-dd}: {Environment.ProcessorCount} cores shared by clients and Redis; Redis {standalone.RedisVersion}, " +
            $".NET {Environment.Version}, StackExchange.Redis {environment.StackExchangeRedis}, Node.js {nodeVersion}. Full table: benchmarks/results/latest.md";
        Directory.CreateDirectory(Path.GetDirectoryName(settings.ChartPath)!);
        await File.WriteAllTextAsync(settings.ChartPath, ChartWriter.Build(standalone, cluster, footnote));
        Scenario.Log($"wrote {Path.GetRelativePath(settings.RepositoryRoot, settings.ChartPath)}");
    }
}
Console.WriteLine();
Console.WriteLine(report);
Directory.CreateDirectory(settings.ResultsDirectory);
await File.WriteAllTextAsync(settings.ReportPath, report);
Scenario.Log($"wrote {Path.GetRelativePath(settings.RepositoryRoot, settings.ReportPath)}");
Scenario.Log($"done in {clock.Elapsed:m\\:ss}");
return 0;
