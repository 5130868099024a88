using System.Diagnostics;
using System.Net;
using System.Text;
using RedisSessions.AspNetCore.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.AspNetCore.Tests;

/// <summary>The farm sample as the farm starts it: <c>dotnet examples/WebFarm/WebFarm.App/bin/{configuration}/net10.0/WebFarm.App.dll</c>
/// with environment variables, from another working directory.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class WebFarmAppProcessTests(StandaloneRedisFixture redis)
{
    private static string AppPath
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RedisSessions.sln")))
            {
                directory = directory.Parent;
            }
            Assert.NotNull(directory);
            var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            var path = Path.Combine(directory.FullName, "examples", "WebFarm", "WebFarm.App", "bin", configuration, "net10.0", "WebFarm.App.dll");
            Assert.True(File.Exists(path), $"build examples/WebFarm/WebFarm.App first: {path}");
            return path;
        }
    }

    private static Process Start(Dictionary<string, string?> environment, StringBuilder output)
    {
        var start = new ProcessStartInfo("dotnet", [AppPath])
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("RedisSessions__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort() => LoopbackPorts.Free();

    [Fact]
    public async Task Without_a_redis_it_refuses_to_start_and_says_what_to_set()
    {
        var output = new StringBuilder();
        using var process = Start(new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}" }, output);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("RedisSessions:Configuration is not set", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("RedisSessions__Configuration", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task It_serves_the_contract_with_environment_settings_and_stops_cleanly_on_sigterm()
    {
        var port = FreePort();
        var output = new StringBuilder();
        using var process = Start(new()
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Farm__NodeName"] = "proc-node",
            ["RedisSessions__Configuration"] = redis.Configuration,
            ["RedisSessions__KeyPrefix"] = TestKeys.NewPrefix('p'),
            ["RedisSessions__InactiveTimeout"] = "00:10:00",
            ["RedisSessions__MaxSessionsPerUser"] = "3",
        }, output);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    using var health = await client.GetAsync("/healthz");
                    return health.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "GET /healthz answers 200", TimeSpan.FromSeconds(60), () => output.ToString());

            var home = await client.GetStringAsync("/");
            Assert.Contains("<input name=\"username\"", home, StringComparison.Ordinal);
            Assert.Contains("data-testid=\"node\">proc-node<", home, StringComparison.Ordinal);
            // Structured logs: one JSON object per line.
            Assert.Contains("{\"Timestamp\":", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("DataProtectionKeysNotShared", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("Application is shutting down", output.ToString(), StringComparison.Ordinal);
    }
}
