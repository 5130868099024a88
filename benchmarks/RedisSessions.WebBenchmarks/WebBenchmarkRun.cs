using System.Diagnostics;
using RedisSessions.LocalRedis;
using StackExchange.Redis;

namespace RedisSessions.WebBenchmarks;

/// <summary>The run: one private redis-server (deploy/redis.conf), the three apps as processes of their own, each side's
/// clients signed in, a warm-up of every side, then <see cref="WebBenchmarkSettings.Rounds"/> rounds in which every
/// side is measured once, one side at a time, in an order that rotates from round to round.</summary>
internal static class WebBenchmarkRun
{
    public static async Task<IReadOnlyList<Measurement>> RunAsync(WebBenchmarkSettings settings, TextWriter log)
    {
        await using var redis = await RedisServerProcess.StartAsync();
        log.WriteLine($"redis-server on {redis.Endpoint} (deploy/redis.conf)");
        using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Endpoint},allowAdmin=true");
        var stats = new RedisStats(admin);

        var apps = new Dictionary<WebSide, AppProcess>();
        var drivers = new Dictionary<WebSide, LoadDriver>();
        try
        {
            foreach (var side in WebSides.All)
            {
                apps[side] = await AppProcess.StartAsync(side, FreePort(), redis.Endpoint);
                drivers[side] = await LoadDriver.SignInAsync(apps[side].Url, settings.Clients, side.Argument());
                log.WriteLine($"{side.Name()}: app on {apps[side].Url}, {settings.Clients} clients signed in");
            }
            foreach (var side in WebSides.All)
            {
                var warm = await drivers[side].RunAsync(settings.WarmUp);
                log.WriteLine($"warm-up {side.Name()}: {warm.RequestsPerSecond:N0} req/s");
            }

            var measurements = new List<Measurement>();
            for (var round = 0; round < settings.Rounds; round++)
            {
                foreach (var side in Order(round))
                {
                    var measurement = await MeasureAsync(side, round, apps[side], drivers[side], stats, settings.Duration);
                    measurements.Add(measurement);
                    log.WriteLine($"round {round + 1} {side.Name()}: {measurement.Load.RequestsPerSecond:N0} req/s, p50 {measurement.Load.P50Ms:0.00} ms, " +
                        $"p99 {measurement.Load.P99Ms:0.00} ms, app CPU {measurement.AppCpuMicroseconds:0} µs/req, errors {measurement.Load.Errors}");
                }
            }
            return measurements;
        }
        finally
        {
            foreach (var driver in drivers.Values)
            {
                driver.Dispose();
            }
            foreach (var app in apps.Values)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Round r starts with side r (mod 3): every side is measured first, second and third equally often.</summary>
    private static IEnumerable<WebSide> Order(int round) =>
        Enumerable.Range(0, WebSides.All.Length).Select(i => WebSides.All[(round + i) % WebSides.All.Length]);

    private static async Task<Measurement> MeasureAsync(WebSide side, int round, AppProcess app, LoadDriver driver, RedisStats stats, TimeSpan duration)
    {
        var redisCpu = await stats.ResetAsync();
        var appCpu = app.CpuTime;
        var driverCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var load = await driver.RunAsync(duration);
        var driverCpuAfter = Process.GetCurrentProcess().TotalProcessorTime;
        var appCpuAfter = app.CpuTime;
        var (commands, redisCpuAfter) = await stats.ReadAsync();
        return new Measurement(side, round, load, appCpuAfter - appCpu, driverCpuAfter - driverCpu, redisCpuAfter - redisCpu, commands);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
