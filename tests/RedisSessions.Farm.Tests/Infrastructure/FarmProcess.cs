using System.Collections.Concurrent;
using System.Diagnostics;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>A .NET program of the farm (a test node or the worker host) running as its own OS process. Standard output
/// and error are collected line by line; it can be stopped with SIGTERM (graceful) or SIGKILL (a crash).</summary>
public sealed class FarmProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _wrapped;

    private FarmProcess(Process process, string name, bool wrapped)
    {
        _process = process;
        _wrapped = wrapped;
        Name = name;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _stdout.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _stderr.Enqueue(e.Data); } };
        process.Exited += (_, _) => _exited.TrySetResult();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (process.HasExited)
        {
            _exited.TrySetResult();
        }
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public IReadOnlyList<string> Output => _stdout.ToArray();

    public IReadOnlyList<string> Errors => _stderr.ToArray();

    public bool HasExited => _process.HasExited;

    /// <summary>Starts tests/RedisSessions.TestNode with <paramref name="arguments"/>.</summary>
    public static FarmProcess StartNode(string name, params string[] arguments) =>
        Start(name, Programs.TestNode, arguments, new Dictionary<string, string>(), clockShift: null);

    /// <summary>Starts tests/RedisSessions.TestNode under Debian's <c>faketime</c>, its wall clock shifted by
    /// <paramref name="clockShift"/> (faketime's syntax: <c>+45s</c>, <c>+31m</c>, <c>-60s</c>); its monotonic clock
    /// (Stopwatch) stays true.</summary>
    public static FarmProcess StartSkewedNode(string name, string clockShift, params string[] arguments) =>
        Start(name, Programs.TestNode, arguments, new Dictionary<string, string>(), clockShift);

    /// <summary>Starts the worker host (src/RedisSessions.Worker) with <paramref name="environment"/> variables.</summary>
    public static FarmProcess StartWorker(string name, IDictionary<string, string> environment, params string[] arguments) =>
        Start(name, Programs.Worker, arguments, environment, clockShift: null);

    private static FarmProcess Start(string name, string dll, string[] arguments, IDictionary<string, string> environment, string? clockShift)
    {
        var start = new ProcessStartInfo(clockShift is null ? "dotnet" : FakeTime)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        if (clockShift is not null)
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(clockShift);
            start.ArgumentList.Add("dotnet");
            start.Environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
        }
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.Start();
        return new FarmProcess(process, name, wrapped: clockShift is not null);
    }

    /// <summary>Debian's faketime (package faketime; .ci/install-redis installs it).</summary>
    private static string FakeTime => File.Exists("/usr/bin/faketime")
        ? "/usr/bin/faketime"
        : throw new FileNotFoundException("faketime is not installed: apt-get install -y faketime (.ci/install-redis does it). The clock-skew tests run app nodes under it.");

    /// <summary>What the node printed first: its own clock and Redis's, read one right after the other (Unix ms).</summary>
    public (long Local, long Redis) Clock
    {
        get
        {
            var line = _stdout.FirstOrDefault(l => l.StartsWith("clock ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"{Name} printed no clock line. {Describe()}");
            var parts = line.Split(' ').Skip(1).Select(p => long.Parse(p.Split('=')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return (parts[0], parts[1]);
        }
    }

    /// <summary>Waits until a line of standard output satisfies <paramref name="match"/>.</summary>
    public Task WaitForOutputAsync(Func<string, bool> match, TimeSpan timeout) =>
        Eventually.TrueAsync(() => _stdout.Any(match) || ThrowIfExited(), $"{Name} printed the expected line", timeout, Describe);

    public Task WaitForOutputAsync(string line, TimeSpan timeout) => WaitForOutputAsync(l => l == line, timeout);

    /// <summary>Waits until a line of standard error (where the nodes log) satisfies <paramref name="match"/>.</summary>
    public Task WaitForErrorAsync(Func<string, bool> match, TimeSpan timeout) =>
        Eventually.TrueAsync(() => _stderr.Any(match) || ThrowIfExited(), $"{Name} logged the expected line", timeout, Describe);

    private bool ThrowIfExited()
    {
        if (_process.HasExited)
        {
            // Let the output handlers drain before reporting.
            _process.WaitForExit();
            throw new InvalidOperationException($"{Name} exited early with code {_process.ExitCode}. {Describe()}");
        }
        return false;
    }

    /// <summary>Sends SIGTERM (what a service manager or a container runtime sends to stop a process).</summary>
    public void Terminate()
    {
        if (_process.HasExited)
        {
            return;
        }
        // faketime runs the program as its child and waits for it without passing signals on: the child gets them.
        var targets = _wrapped ? Children(_process.Id) : [_process.Id];
        foreach (var pid in targets)
        {
            using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    private static int[] Children(int pid)
    {
        var file = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(file)
            ? File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : [];
    }

    /// <summary>Freezes the process (SIGSTOP): no thread of it runs until <see cref="Thaw"/>, as in a long GC pause, a
    /// VM migration or a debugger stop.</summary>
    public void Freeze() => Signal("-STOP");

    /// <summary>Lets a frozen process run again (SIGCONT).</summary>
    public void Thaw() => Signal("-CONT");

    private void Signal(string signal)
    {
        var targets = _wrapped ? Children(_process.Id) : [_process.Id];
        foreach (var pid in targets)
        {
            using var kill = Process.Start("kill", [signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>Kills the process with SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: _wrapped);
        }
        await _exited.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s. {Describe()}");
        }
        _process.WaitForExit(); // flushes the output handlers
        return _process.ExitCode;
    }

    public string Describe()
    {
        var output = _stdout.ToArray();
        var errors = _stderr.ToArray();
        return $"[{Name} pid {_process.Id}] last output: {string.Join(" | ", output.TakeLast(5))} ; last errors: {string.Join(" | ", errors.TakeLast(10))}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        _process.Dispose();
    }
}
