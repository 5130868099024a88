using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RedisSessions.Browser.Tests.Infrastructure;

/// <summary>
/// The sample farm as an operator starts it: <c>bash deploy/farm/run</c> from the repository root, with its own
/// private Redis, the programs this test project's build built (<c>FARM_NO_BUILD=1</c>, <c>FARM_CONFIGURATION</c>), and
/// its logs in a run folder of its own (<c>worker.log</c> is read by the tests). Started once the script prints its
/// ready line; stopped with SIGTERM, which the script answers by stopping every part in order and exiting 0.
/// </summary>
public sealed partial class FarmScript
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FarmScript(Process process, string runFolder)
    {
        _process = process;
        RunFolder = runFolder;
    }

    /// <summary>FARM_RUN_DIR: redis.log, web-1.log ..., worker.log, lb.log, farm.env.</summary>
    public string RunFolder { get; }

    /// <summary>The load balancer, once the script said it is ready.</summary>
    public Uri Url => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : throw new InvalidOperationException("The farm is not ready.");

    /// <summary>Everything the script wrote to standard output and error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The worker's log (one line per ended session).</summary>
    public string WorkerLog => ReadShared(Path.Combine(RunFolder, "worker.log"));

    [GeneratedRegex(@"^farm ready on (http://127\.0\.0\.1:\d+)$")]
    private static partial Regex ReadyLine();

    /// <summary>Starts the script and waits for its ready line (at most <paramref name="timeout"/>); fails with the
    /// script's output when it exits first or takes longer.</summary>
    public static async Task<FarmScript> StartAsync(string runFolder, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("deploy/farm/run");
        // The farm gets exactly these settings: none of the test runner's own (a RedisSessions__Configuration there would
        // point the farm at a shared Redis instead of its private one).
        foreach (var name in start.Environment.Keys.Where(k =>
            k.StartsWith("RedisSessions__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("FARM_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }
        start.Environment["FARM_RUN_DIR"] = runFolder;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var farm = new FarmScript(process, runFolder);
        process.OutputDataReceived += (_, e) => farm.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => farm.OnLine(e.Data);
        process.Exited += (_, _) => farm._ready.TrySetException(new InvalidOperationException("deploy/farm/run exited before the farm was ready."));
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await farm._ready.Task.WaitAsync(timeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var reason = e is TimeoutException ? $"did not print its ready line within {timeout.TotalSeconds:0} s" : "exited before it was ready";
            await farm.StopAsync(TimeSpan.FromMinutes(1));
            throw new InvalidOperationException($"deploy/farm/run {reason}. Its output:\n{farm.Output}", e);
        }
        return farm;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
        if (ReadyLine().Match(line) is { Success: true } ready)
        {
            _ready.TrySetResult(new Uri(ready.Groups[1].Value));
        }
    }

    /// <summary>SIGTERM, then waits for the script to exit (SIGKILL to its process tree after <paramref name="timeout"/>).
    /// Returns the exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
        }
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return null;
        }
        // The last lines of the asynchronous readers.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>A free port on 127.0.0.1 for the load balancer.</summary>
    public static int FreePort() => LoopbackPorts.Free();

    /// <summary>A log file another process is still writing.</summary>
    private static string ReadShared(string path)
    {
        if (!File.Exists(path))
        {
            return string.Empty;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
