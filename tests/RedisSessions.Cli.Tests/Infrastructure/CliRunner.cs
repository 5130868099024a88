using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace RedisSessions.Cli.Tests.Infrastructure;

/// <summary>What one run of the CLI left: exit code, standard output and standard error.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, string CommandLine)
{
    /// <summary>Standard output parsed as one JSON document.</summary>
    public JsonElement Json()
    {
        try
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"`{CommandLine}` did not print one JSON document: {ex.Message}\n{this}", ex);
        }
    }

    /// <summary>Standard output parsed as JSON Lines.</summary>
    public List<JsonElement> JsonLines() => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(line => { using var d = JsonDocument.Parse(line); return d.RootElement.Clone(); }).ToList();

    public override string ToString() => $"$ {CommandLine}\nexit code {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>Starts the built CLI (<c>dotnet RedisSessions.Cli.dll ...</c>) the way an operator's shell would, but with
/// standard input closed (no terminal) and without the caller's REDIS_URL / RedisSessions__* variables, in an empty
/// working directory (no stray appsettings.json).</summary>
public static class CliRunner
{
    private static readonly Lazy<string> EmptyDirectory = new(() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "redis-sessions-cli-tests-" + Environment.ProcessId)).FullName);

    public static string CliDll
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("REDIS_SESSIONS_CLI_DLL");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }
            // The test project builds the CLI (ReferenceOutputAssembly=false); its output sits in src/ beside tests/.
            return Programs.Cli;
        }
    }

    public static Task<CliResult> RunAsync(params string[] arguments) => RunAsync(new CliRun(arguments));

    public static async Task<CliResult> RunAsync(CliRun run)
    {
        using var process = Process.Start(StartInfo(run)) ?? throw new InvalidOperationException("dotnet did not start.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{Describe(run)}` did not exit within 90 s.");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr, Describe(run));
    }

    /// <summary>Starts a long-running command (events --follow) whose output lines are collected as they come.</summary>
    public static FollowingCli Start(params string[] arguments) => new(Process.Start(StartInfo(new CliRun(arguments)))!);

    private static ProcessStartInfo StartInfo(CliRun run)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = run.WorkingDirectory ?? EmptyDirectory.Value,
        };
        start.ArgumentList.Add(CliDll);
        foreach (var argument in run.Arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in start.Environment.Keys.Where(k => k == "REDIS_URL" || k.StartsWith("RedisSessions__", StringComparison.OrdinalIgnoreCase) || k == "REDIS_SESSIONS_DEBUG").ToList())
        {
            start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in run.Environment)
        {
            start.Environment[name] = value;
        }
        return start;
    }

    private static string Describe(CliRun run) => "redis-sessions " + string.Join(" ", run.Arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
}

/// <summary>One CLI invocation: arguments, extra environment variables, working directory.</summary>
public sealed record CliRun(string[] Arguments)
{
    public Dictionary<string, string> Environment { get; init; } = [];

    public string? WorkingDirectory { get; init; }
}

/// <summary>A CLI process left running; its standard output lines are collected until it is disposed (killed).</summary>
public sealed class FollowingCli : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    public FollowingCli(Process process)
    {
        _process = process;
        _process.StandardInput.Close();
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _lines.Enqueue(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _errors.Enqueue(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public bool HasExited => _process.HasExited;

    /// <summary>Sends SIGINT (Ctrl+C) and waits for the exit code.</summary>
    public async Task<int> InterruptAsync()
    {
        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to end by itself; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(limit.Token);
        return _process.ExitCode;
    }

    /// <summary>Standard error lines so far.</summary>
    public IReadOnlyList<string> Errors => _errors.ToArray();

    public override string ToString() => $"stdout:\n{string.Join('\n', _lines)}\nstderr:\n{string.Join('\n', _errors)}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
