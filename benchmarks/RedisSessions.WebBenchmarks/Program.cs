// The web benchmark: requests per second through one app node for a signed-in page, RedisSessions' ticket store against
// ASP.NET Core's AddSession over Redis and a plain cookie. `serve <side> <port> <redis>` runs one side's app (the driver
// starts it so); anything else runs the benchmark (see WebBenchmarkSettings.Usage).
using RedisSessions.WebBenchmarks;

if (args is ["serve", var side, var port, var redis])
{
    var app = BenchApps.Build(WebSides.Parse(side), int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), redis);
    await app.RunAsync();
    return 0;
}
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(WebBenchmarkSettings.Usage);
    return 0;
}

WebBenchmarkSettings settings;
try
{
    settings = WebBenchmarkSettings.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
var loadBefore = WebReport.LoadAverage();
var started = DateTimeOffset.UtcNow;
var measurements = await WebBenchmarkRun.RunAsync(settings, Console.Error);
var report = WebReport.Write(settings, measurements, started, loadBefore, WebReport.LoadAverage());
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Output))!);
await File.WriteAllTextAsync(settings.Output, report);
Console.WriteLine(report);
Console.Error.WriteLine($"written to {settings.Output}");
return 0;
