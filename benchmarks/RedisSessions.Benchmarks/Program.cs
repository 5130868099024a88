using System.Runtime.InteropServices;
using RedisSessions.Benchmarks;
using RedisSessions.LocalRedis;
using StackExchange.Redis;

// The benchmark program (not a test): RedisSessions against express-session + connect-redis, side by side on the same
// private Redis, then the same on a 3-master cluster. Prints one markdown report, writes it to
// benchmarks/results/latest.md and the chart to docs/benchmark-chart.svg. See benchmarks/README.md.
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
if (!File.Exists(RedisBenchmarkTool.Path) && settings.RunCeilings)
{
    Console.Error.WriteLine($"{RedisBenchmarkTool.Path} is missing (package redis-tools); run with --no-ceilings or install it.");
    return 2;
}
var peerVersions = "not run";
var nodeVersion = "not run";
if (settings.RunPeer)
{
    await PeerSide.EnsureInstalledAsync(settings.PeerDirectory);
    peerVersions = PeerSide.InstalledVersions(settings.PeerDirectory);
    nodeVersion = PeerSide.NodeVersion();
}

var started = DateTime.UtcNow;
var loadBefore = LoadAverage();
Scenario.Log($"{settings.Sessions:N0} sessions per side, {settings.Concurrency} in flight, {settings.Seconds:0.#} s headline phases{(settings.Quick ? " (quick)" : string.Empty)}");
var standalone = await Scenario.RunStandaloneAsync(settings);
var cluster = settings.RunCluster ? await Scenario.RunClusterAsync(settings) : null;

var environment =
    $"Measured {started:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores ({RuntimeInformation.OSDescription}), client and Redis on the same machine. " +
    $"RedisSessions on {RuntimeInformation.FrameworkDescription}, StackExchange.Redis {typeof(ConnectionMultiplexer).Assembly.GetName().Version}; " +
    (settings.RunPeer ? $"peer on Node.js {nodeVersion} with {peerVersions}. " : "peer not run. ") + $"Redis {standalone.RedisVersion} with deploy/redis.conf (AOF everysec). " +
    $"{settings.Sessions:N0} sessions per side of 3 small data fields, 1 user per session; {settings.Seconds:0.#} s for the request-cycle and write phases " +
    $"({settings.ShortSeconds:0.#} s for the others and on the cluster), after a {settings.WarmupSeconds:0.#} s warm-up per operation. " +
    "RedisSessions uses its defaults (30 min idle timeout, ActivityResolution 1% of it, 5 sessions per user), background sweep off, no termination callback. " +
    $"Machine load average (1 min) {loadBefore} at the start, {LoadAverage()} at the end: other work on the machine lowers both sides' figures.";
var report = ReportWriter.Build(settings, environment, standalone, cluster);
Console.WriteLine();
Console.WriteLine(report);

Directory.CreateDirectory(settings.ResultsDirectory);
var reportPath = Path.Combine(settings.ResultsDirectory, settings.Quick ? "quick.md" : "latest.md");
await File.WriteAllTextAsync(reportPath, report);
Scenario.Log($"wrote {Path.GetRelativePath(settings.RepositoryRoot, reportPath)}");
if (!settings.Quick && settings.RunPeer)
{
    var footnote = $"benchmarks/run, {started:yyyy-MM-dd}: {Environment.ProcessorCount} cores shared by client and Redis; Redis {standalone.RedisVersion}, " +
        $"{RuntimeInformation.FrameworkDescription}, Node.js {nodeVersion}. Full table: benchmarks/results/latest.md";
    Directory.CreateDirectory(Path.GetDirectoryName(settings.ChartPath)!);
    await File.WriteAllTextAsync(settings.ChartPath, ChartWriter.Build(standalone, cluster, footnote));
    Scenario.Log($"wrote {Path.GetRelativePath(settings.RepositoryRoot, settings.ChartPath)}");
}
Scenario.Log($"done in {DateTime.UtcNow - started:m\\:ss}");
return 0;

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
