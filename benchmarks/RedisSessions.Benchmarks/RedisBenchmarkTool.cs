using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using RedisSessions.LocalRedis;

namespace RedisSessions.Benchmarks;

/// <summary>
/// redis-benchmark (beside redis-cli) running one command, pipelined, against the private server: the physical limit
/// of that command on this machine. Both clients are compared with the same commands they send.
/// </summary>
internal static partial class RedisBenchmarkTool
{
    public const int Clients = 64;
    public const int Pipeline = 16;

    public static string Path => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(RedisTools.CliPath)!, "redis-benchmark");

    /// <summary>Requests per second for <paramref name="command"/> (redis-benchmark -c 64 -P 16 --csv).</summary>
    public static async Task<double> RunAsync(int port, int requests, IReadOnlyList<string> command)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-c", Clients.ToString(CultureInfo.InvariantCulture),
                     "-P", Pipeline.ToString(CultureInfo.InvariantCulture), "-n", requests.ToString(CultureInfo.InvariantCulture), "--csv" })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var argument in command)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Path}.");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // "test","rps","avg_latency_ms",...,"max_latency_ms"   then   "HGETALL rs:{...}","612345.67","1.234",...: the test
        // name is the command line (JSON quotes and all), so read the seven numbers from the end of the row.
        var row = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        var numbers = CsvTail().Match(row);
        if (process.ExitCode != 0 || !numbers.Success
            || !double.TryParse(numbers.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rps))
        {
            throw new InvalidOperationException($"redis-benchmark {command[0]} failed (exit {process.ExitCode}): {output} {error}");
        }
        return rps;
    }

    [GeneratedRegex("\"([0-9.]+)\"(?:,\"[0-9.]+\"){6}$")]
    private static partial Regex CsvTail();

    /// <summary>Operations per second when each operation is the given commands in sequence.</summary>
    public static double Sequence(params double[] commandRates) => 1 / commandRates.Sum(r => 1 / r);
}
