using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using StackExchange.Redis;

namespace RedisSessions.WebBenchmarks;

/// <summary>The markdown report: medians over the rounds, the goals, and the CPU each process spent per request.</summary>
internal static class WebReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Write(WebBenchmarkSettings settings, IReadOnlyList<Measurement> measurements, DateTimeOffset started, double? loadBefore, double? loadAfter)
    {
        var cores = Environment.ProcessorCount;
        // Only the load before the run says whether other work was there: the run itself keeps every core busy, so
        // the load average at its end is always high.
        var busy = settings.Quick || loadBefore > cores;
        var text = new StringBuilder();
        text.AppendLine("<!-- Written by benchmarks/run-web; do not edit by hand. -->");
        text.AppendLine("# Web benchmark: a signed-in page through one app node").AppendLine();
        if (busy)
        {
            text.AppendLine(Invariant, $"**A short run on a busy machine** ({(settings.Quick ? "--quick, " : "")}load average {Load(loadBefore)} at the start, {Load(loadAfter)} at the end, on {cores} cores): other work took CPU from every side, so the rates are low and noisy. The ratios are the figures to look at, and even they move; rerun on a quiet machine before quoting anything.").AppendLine();
        }
        text.AppendLine(Invariant, $"""
            Measured {started:yyyy-MM-dd HH:mm} UTC on {cores} cores ({RuntimeInformation.OSDescription}; load average {Load(loadBefore)} before the run), .NET {Environment.Version}, StackExchange.Redis {ClientVersion()} on both Redis sides; one private redis-server with deploy/redis.conf; the driver, the app and Redis on the same machine. {settings.Clients} clients, each a browser of its own (one keep-alive HTTP/1.1 connection, its own cookies, its own signed-in user), requesting the signed-in page back to back; {settings.Rounds} rounds of {settings.Duration.TotalSeconds:0.#} s per side after a {settings.WarmUp.TotalSeconds:0.#} s warm-up of each, one side at a time, the order rotating every round; medians over the rounds.

            The page is the same on every side: `GET /` answers 401 unless signed in, else reads one value (`theme`, put there at sign-in) and answers `Signed in as <user> (dark)`. Each app is this program's `serve` mode in a process of its own, logging only errors, with Data Protection keys in memory.

            """);
        text.AppendLine("| side | setup | req/s (median) | req/s by round | p50 / p99 ms (median) | errors |");
        text.AppendLine("| --- | --- | --: | --- | --: | --: |");
        var bySide = WebSides.All.ToDictionary(s => s, s => measurements.Where(m => m.Side == s).OrderBy(m => m.Round).ToList());
        foreach (var (side, runs) in bySide)
        {
            text.AppendLine(Invariant, $"| {side.Name()} | {side.Setup()} | **{Median(runs, m => m.Load.RequestsPerSecond):N0}** | {string.Join(" · ", runs.Select(m => m.Load.RequestsPerSecond.ToString("N0", Invariant)))} | {Median(runs, m => m.Load.P50Ms):0.00} / {Median(runs, m => m.Load.P99Ms):0.00} | {runs.Sum(m => m.Load.Errors)} |");
        }

        var rs = Median(bySide[WebSide.RedisSessions], m => m.Load.RequestsPerSecond);
        var data = Median(bySide[WebSide.RedisSessionsData], m => m.Load.RequestsPerSecond);
        var session = Median(bySide[WebSide.AspNetCoreSession], m => m.Load.RequestsPerSecond);
        var cookie = Median(bySide[WebSide.PlainCookie], m => m.Load.RequestsPerSecond);
        text.AppendLine().AppendLine("## Goals").AppendLine();
        text.AppendLine("The goals are for RedisSessions with HttpContext.Session (the same page as AddSession's); the session-data variant is shown beside it.").AppendLine();
        text.AppendLine("| goal | RedisSessions ÷ the other side (medians) | met | session data ÷ the other side |");
        text.AppendLine("| --- | --: | --- | --: |");
        text.AppendLine(Invariant, $"| within 10 % of the plain cookie (≥ 0.90×) | {rs / cookie:0.00}× | {(rs / cookie >= 0.90 ? "yes" : "**no**")} | {data / cookie:0.00}× |");
        text.AppendLine(Invariant, $"| ahead of AddSession + Redis cache (> 1.00×) | {rs / session:0.00}× | {(rs / session > 1.0 ? "yes" : "**no**")} | {data / session:0.00}× |");

        text.AppendLine().AppendLine("## Where the time goes").AppendLine();
        text.AppendLine("CPU per request of each process (medians over the rounds; the kernel's accounting for the app and the driver, INFO cpu for Redis) and what Redis ran per request (INFO commandstats; commands inside Lua scripts count). The driver, the app and Redis share the cores, so the rate of a side is roughly the cores' time divided by its total.").AppendLine();
        text.AppendLine("| side | app µs | driver µs | Redis µs | total µs | Redis commands | commands per request |");
        text.AppendLine("| --- | --: | --: | --: | --: | --: | --- |");
        foreach (var (side, runs) in bySide)
        {
            var median = runs.OrderBy(m => m.Load.RequestsPerSecond).ElementAt(runs.Count / 2);
            text.AppendLine(Invariant, $"| {side.Name()} | {Median(runs, m => m.AppCpuMicroseconds):0} | {Median(runs, m => m.DriverCpuMicroseconds):0} | {Median(runs, m => m.RedisCpuMicroseconds):0.0} | {Median(runs, m => m.AppCpuMicroseconds + m.DriverCpuMicroseconds + m.RedisCpuMicroseconds):0} | {Median(runs, m => m.RedisCommandsPerRequest):0.00} | {median.CommandsPerRequest} |");
        }
        double App(WebSide side) => Median(bySide[side], m => m.AppCpuMicroseconds);
        text.AppendLine().AppendLine(Invariant, $"""
            Per request, RedisSessions' app spends {App(WebSide.RedisSessions) - App(WebSide.PlainCookie):+0;-0} µs of CPU more than the plain cookie's, and Redis {Median(bySide[WebSide.RedisSessions], m => m.RedisCpuMicroseconds):0.0} µs. Of the app's extra, {App(WebSide.RedisSessions) - App(WebSide.RedisSessionsData):+0;-0} µs is ASP.NET Core's session middleware (the session-data variant runs without it: for a browser without a session cookie it makes and protects a new session key on every request, and a signed-in browser never gets that cookie, its state living in the sign-in session). The remaining {App(WebSide.RedisSessionsData) - App(WebSide.PlainCookie):+0;-0} µs is the ticket store: one Redis round trip (the command, the socket reads and writes, the wake-ups of StackExchange.Redis' reader threads and of the continuation) and a second Data Protection unprotect with ticket deserialization (the plain cookie unprotects one cookie that holds the ticket; the ticket store unprotects a small cookie that holds the session id, then the ticket kept in Redis).
            """);
        return text.ToString();
    }

    private static double Median(IReadOnlyList<Measurement> runs, Func<Measurement, double> figure)
    {
        var values = runs.Select(figure).Order().ToArray();
        return values.Length == 0 ? double.NaN
            : values.Length % 2 == 1 ? values[values.Length / 2]
            : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }

    private static string ClientVersion()
    {
        var version = typeof(ConnectionMultiplexer).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "?";
        return version.Split('+')[0];
    }

    private static string Load(double? value) => value is { } v ? v.ToString("0.0", Invariant) : "unknown";

    /// <summary>The 1-minute load average (Linux), or null.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, Invariant);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
