using System.Diagnostics;
using System.Globalization;

namespace RedisSessions.WebBenchmarks;

/// <summary>One side's app, this same program started with <c>serve</c>, as its own process (the driver's CPU never
/// mixes with the app's). Its CPU time is read from the kernel around each measured phase.</summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AppProcess(Process process, WebSide side, Uri url)
    {
        _process = process;
        Side = side;
        Url = url;
    }

    public WebSide Side { get; }

    public Uri Url { get; }

    /// <summary>User + system CPU the app has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<AppProcess> StartAsync(WebSide side, int port, string redis)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(typeof(AppProcess).Assembly.Location);
        foreach (var argument in new[] { "serve", side.Argument(), port.ToString(CultureInfo.InvariantCulture), redis })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app process.");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new AppProcess(process, side, new Uri($"http://127.0.0.1:{port}/"));

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The {side.Name()} app exited at start: {output}");
            }
            try
            {
                using var answer = await probe.GetAsync(new Uri(app.Url, "healthz"));
                if (answer.IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                await app.DisposeAsync();
                throw new TimeoutException($"The {side.Name()} app did not answer /healthz within 2 minutes: {output}");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
