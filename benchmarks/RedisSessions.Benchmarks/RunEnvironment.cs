using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace RedisSessions.Benchmarks;

/// <summary>What a report says about where it was measured: the machine, every version, the exact command.</summary>
internal sealed record RunEnvironment(
    DateTime StartedUtc,
    string Command,
    string Machine,
    string LoadAtStart,
    string RedisSessionsBuild,
    string DotNet,
    string StackExchangeRedis,
    string Node,
    string PeerPackages)
{
    public static RunEnvironment Capture(BenchmarkSettings settings, string node, string peerPackages) => new(
        DateTime.UtcNow,
        settings.CommandLine,
        DescribeMachine(),
        LoadAverage(),
        Build(settings.RepositoryRoot),
        RuntimeInformation.FrameworkDescription,
        StackExchangeRedisVersion,
        node,
        peerPackages);

    /// <summary>"2.13.23" (the informational version without its commit).</summary>
    public static string StackExchangeRedisVersion
    {
        get
        {
            var assembly = typeof(ConnectionMultiplexer).Assembly;
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";
            return version.Split('+')[0];
        }
    }

    /// <summary>How long the processes ran on a core and how long they waited for one while runnable (Linux
    /// /proc/{pid}/schedstat; zero where it is not available): the second is what other work on the machine cost them.</summary>
    public static (TimeSpan OnCpu, TimeSpan Waiting) Scheduling(IEnumerable<int> pids)
    {
        long cpu = 0, wait = 0;
        foreach (var pid in pids)
        {
            var path = $"/proc/{pid}/schedstat";
            if (!File.Exists(path))
            {
                continue;
            }
            var fields = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            cpu += long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture);
            wait += long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return (TimeSpan.FromTicks(cpu / 100), TimeSpan.FromTicks(wait / 100));
    }

    /// <summary>The 1-minute load average now (other work on the machine lowers every side's figures).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static string DescribeMachine()
    {
        var cpu = ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = ReadField("/proc/meminfo", "MemTotal") is { } total && long.TryParse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out var kb)
            ? $", {kb / 1024.0 / 1024:0.#} GiB" : string.Empty;
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? $", kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}" : string.Empty;
        return $"{Environment.ProcessorCount} cores ({cpu}){memory}, {RuntimeInformation.OSDescription}{kernel}";
    }

    private static string Build(string root)
    {
        var commit = Git(root, "rev-parse", "--short", "HEAD");
        if (commit is null)
        {
            return "unknown commit";
        }
        var dirty = Git(root, "status", "--porcelain", "--untracked-files=no") is { Length: > 0 };
        return $"commit {commit}{(dirty ? " with uncommitted changes" : string.Empty)}";
    }

    private static string? Git(string root, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string? ReadField(string path, string name)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        return null;
    }
}
