using System.Diagnostics;
using System.Text.Json;

namespace RedisSessions.Benchmarks;

/// <summary>
/// The peer: express-session's store API over connect-redis and node-redis, run by benchmarks/peer/harness.js in a
/// Node process this program starts and drives one phase at a time (one JSON line each way), so that the same probe
/// resets and reads Redis around each phase on both sides.
/// </summary>
internal sealed class PeerSide : IAsyncDisposable
{
    public static readonly string[] Packages = ["express-session", "connect-redis", "redis"];

    private readonly Process _node;

    private PeerSide(Process node) => _node = node;

    /// <summary>Installs the peer's npm packages into benchmarks/peer/node_modules (git-ignored) when they are missing.</summary>
    public static async Task EnsureInstalledAsync(string peerDirectory)
    {
        if (Packages.All(p => File.Exists(Path.Combine(peerDirectory, "node_modules", p, "package.json"))))
        {
            return;
        }
        Console.Error.WriteLine("Installing the peer (express-session, connect-redis, redis) from the npm registry...");
        var install = new ProcessStartInfo("npm") { WorkingDirectory = peerDirectory, UseShellExecute = false };
        foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error" })
        {
            install.ArgumentList.Add(argument);
        }
        using var process = Process.Start(install) ?? throw new InvalidOperationException("Could not start npm (is Node.js installed?).");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm install failed in {peerDirectory} (exit code {process.ExitCode}).");
        }
    }

    /// <summary>"express-session 1.19.0, connect-redis 10.0.0, redis 5.12.1" as installed.</summary>
    public static string InstalledVersions(string peerDirectory) => string.Join(", ", Packages.Select(p =>
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(peerDirectory, "node_modules", p, "package.json")));
        return $"{p} {json.RootElement.GetProperty("version").GetString()}";
    }));

    public static string NodeVersion()
    {
        using var process = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, UseShellExecute = false });
        var version = process?.StandardOutput.ReadToEnd().Trim() ?? "?";
        process?.WaitForExit();
        return version;
    }

    /// <summary>The name the peer's connection gives itself (CLIENT SETNAME): how the slow log tells its commands apart.</summary>
    public const string ClientName = "connect-redis-peer";

    public static async Task<PeerSide> StartAsync(string peerDirectory, IEnumerable<string> endpoints, bool cluster, int concurrency, TimeSpan maxAge)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = peerDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("harness.js");
        var node = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var peer = new PeerSide(node);
        await peer.SendAsync(new
        {
            cmd = "init",
            urls = endpoints.Select(e => $"redis://{e}").ToArray(),
            cluster,
            concurrency,
            maxAgeMs = (long)maxAge.TotalMilliseconds,
            name = ClientName,
        });
        return peer;
    }

    public Task WarmUpAsync(TimeSpan each) => SendAsync(new { cmd = "warmup", seconds = each.TotalSeconds });

    /// <summary>Login: <c>store.set</c> of a new session, for the indexes [from, from + count).</summary>
    public Task<LoadResult> CreateAsync(int from, int count) => RunAsync(new { cmd = "create", from, count });

    /// <summary>Request cycle: <c>store.get</c> + <c>store.touch</c> over [from, from + count).</summary>
    public Task<LoadResult> GetAsync(int from, int count, TimeSpan duration) => RunAsync(new { cmd = "get", from, count, seconds = duration.TotalSeconds });

    public Task<LoadResult> TouchAsync(int from, int count, TimeSpan duration) => RunAsync(new { cmd = "touch", from, count, seconds = duration.TotalSeconds });

    public Task<LoadResult> SetDataAsync(int from, int count, TimeSpan duration) => RunAsync(new { cmd = "setData", from, count, seconds = duration.TotalSeconds });

    /// <summary>Logout: <c>store.destroy</c> of [from, from + count).</summary>
    public Task<LoadResult> TerminateAsync(int from, int count) => RunAsync(new { cmd = "terminate", from, count });

    /// <summary>Forgets every session (after the harness flushed Redis).</summary>
    public Task ResetAsync() => SendAsync(new { cmd = "reset" });

    /// <summary>One stored session: its key and the JSON connect-redis wrote.</summary>
    public async Task<(string Key, string Value)> SampleAsync(int index = 0)
    {
        var answer = await SendAsync(new { cmd = "sample", index });
        return (answer.GetProperty("key").GetString()!, answer.GetProperty("value").GetString()!);
    }

    private async Task<LoadResult> RunAsync(object command)
    {
        var r = await SendAsync(command);
        return new LoadResult(
            r.GetProperty("ops").GetInt64(),
            r.GetProperty("seconds").GetDouble(),
            r.GetProperty("p50Ms").GetDouble(),
            r.GetProperty("p99Ms").GetDouble(),
            r.GetProperty("errors").GetInt64(),
            r.TryGetProperty("firstError", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null,
            r.GetProperty("cpuMs").GetDouble());
    }

    private async Task<JsonElement> SendAsync(object command)
    {
        await _node.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command));
        await _node.StandardInput.FlushAsync();
        var line = await _node.StandardOutput.ReadLineAsync()
            ?? throw new InvalidOperationException($"The peer harness exited (code {(_node.HasExited ? _node.ExitCode : -1)}).");
        using var answer = JsonDocument.Parse(line);
        if (answer.RootElement.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"The peer harness failed: {error.GetString()}");
        }
        return answer.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_node.HasExited)
            {
                await SendAsync(new { cmd = "quit" });
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _node.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or IOException)
        {
            _node.Kill(entireProcessTree: true);
        }
        _node.Dispose();
    }
}
