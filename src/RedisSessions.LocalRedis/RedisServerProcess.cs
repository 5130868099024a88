using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RedisSessions.LocalRedis;

/// <summary>A private <c>redis-server</c> on a free loopback port, in its own temporary directory, configured with a
/// copy of <c>deploy/redis.conf</c> kept in that directory (a server may rewrite its config file: Sentinel sends
/// CONFIG REWRITE to the replica it promotes). Start it, use <see cref="Endpoint"/>, dispose it (the directory goes
/// with it).</summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private static readonly object PortGate = new();
    private static readonly HashSet<int> HandedOut = [];
    private readonly string[] _extraArguments;
    private Process? _process;
    private Task<string>? _output;
    private Task<string>? _errors;

    private RedisServerProcess(int port, string directory, string[] extraArguments)
    {
        Port = port;
        Directory = directory;
        _extraArguments = extraArguments;
    }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>Its working directory (AOF, RDB, nodes.conf, log).</summary>
    public string Directory { get; }

    /// <summary><c>127.0.0.1:{Port}</c>.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>The process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Whether the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server. <paramref name="extraArguments"/> are appended to the command line as <c>--name value</c> pairs.</summary>
    public static async Task<RedisServerProcess> StartAsync(params string[] extraArguments)
    {
        var port = FreePort(needsClusterBus: extraArguments.Contains("--cluster-enabled"));
        var directory = Path.Combine(Path.GetTempPath(), "redis-sessions-" + port + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new RedisServerProcess(port, directory, extraArguments);
        await server.LaunchAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Kills the process with SIGKILL (a crash: no AOF rewrite, no shutdown save) and waits for it to go.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the process (SHUTDOWN semantics via SIGTERM: Redis fsyncs the AOF) and waits for it to go.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Freezes the process with SIGSTOP: the port stays open and the kernel keeps accepting connections and
    /// commands, but nothing is answered until <see cref="ResumeAsync"/> (a server stalled by a slow disk, a long
    /// fork or a paused VM).</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Lets a process frozen by <see cref="PauseAsync"/> run again (SIGCONT): it answers what was sent meanwhile.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>Starts the server again on the same port and directory (it reloads its AOF / RDB).</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await LaunchAsync().ConfigureAwait(false);
    }

    /// <summary>Starts it again after <see cref="KillAsync"/> or <see cref="StopAsync"/>.</summary>
    public Task StartAgainAsync() => IsRunning ? Task.CompletedTask : LaunchAsync();

    private async Task SignalAsync(string signal)
    {
        if (_process is not { HasExited: false } p)
        {
            throw new InvalidOperationException($"redis-server on port {Port} is not running.");
        }
        using var kill = Process.Start("kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().ConfigureAwait(false);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {p.Id} failed with exit code {kill.ExitCode}.");
        }
    }

    private async Task LaunchAsync()
    {
        // Its own copy, made once: a restart reads what the server itself may have rewritten, as a real one would.
        var config = Path.Combine(Directory, "redis.conf");
        if (!File.Exists(config))
        {
            File.Copy(RedisTools.ConfigFile, config);
        }
        var arguments = new List<string> { config, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", Directory, "--logfile", "redis.log", "--daemonize", "no" };
        arguments.AddRange(_extraArguments);
        var start = new ProcessStartInfo(RedisTools.ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {RedisTools.ServerPath}.");
        _output = _process.StandardOutput.ReadToEndAsync();
        _errors = _process.StandardError.ReadToEndAsync();
        await WaitUntilReadyAsync().ConfigureAwait(false);
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process is { HasExited: true })
            {
                // What it printed before it had a log file (a configuration error) or its log.
                try
                {
                    await Task.WhenAll(_output!, _errors!).WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                }
                var printed = string.Join(" ", new[] { _output, _errors }.Where(t => t is { IsCompletedSuccessfully: true }).Select(t => t!.Result.Trim()).Where(t => t.Length > 0));
                throw new InvalidOperationException($"redis-server on port {Port} exited at start (code {_process.ExitCode}): {(printed.Length > 0 ? printed : ReadLog())}");
            }
            if (IsListening())
            {
                // redis-cli rather than a client library: a fresh cluster node (no slots yet) answers PING, but
                // cluster-aware clients refuse it.
                var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var ping = await RedisTools.RunCliAsync("-p", port, "ping").ConfigureAwait(false);
                var persistence = await RedisTools.RunCliAsync("-p", port, "info", "persistence").ConfigureAwait(false);
                if (ping.Trim() == "PONG" && persistence.Contains("loading:0", StringComparison.Ordinal))
                {
                    return;
                }
            }
            await Task.Delay(25).ConfigureAwait(false);
        }
        throw new TimeoutException($"redis-server on port {Port} did not answer PING within 20 s: {ReadLog()}");
    }

    private bool IsListening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private string ReadLog()
    {
        var log = Path.Combine(Directory, "redis.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(5)) : "(no log)";
    }

    /// <summary>A port that is free now, never 6379, with port + 10000 also free when a cluster bus needs it.</summary>
    internal static int FreePort(bool needsClusterBus)
    {
        lock (PortGate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(20000, 50000);
                if (port == 6379 || HandedOut.Contains(port) || !IsFree(port) || (needsClusterBus && !IsFree(port + 10000)))
                {
                    continue;
                }
                HandedOut.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException("No free loopback port found for redis-server.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Kills the process and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
