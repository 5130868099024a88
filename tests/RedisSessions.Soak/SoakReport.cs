using System.Globalization;
using System.Text;

namespace RedisSessions.Soak;

/// <summary>The soak's figures as markdown.</summary>
internal static class SoakReport
{
    public static string Write(SoakSettings settings, IReadOnlyList<SoakPhase> phases)
    {
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"# Soak: {settings.Minutes:0.##} min at {settings.LoginsPerSecond} logins/s");
        md.AppendLine();
        md.AppendLine(Inv($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (shared), redis-server with deploy/redis.conf, ") +
            Inv($"StackExchange.Redis {ClientVersion}. Command: `bash .ci/soak --minutes {settings.Minutes:0.##} --rate {settings.LoginsPerSecond}`."));
        md.AppendLine();
        md.AppendLine(Inv($"Each login creates a session with three small data fields through one of two web managers, reads it twice, and ") +
            Inv($"{settings.LogoutShare * 100:0} % of them log out at once; the others expire after InactiveTimeout = {settings.InactiveTimeout.TotalSeconds:0} s. ") +
            "Two more managers handle every termination (callbacks). Memory is Redis's used_memory; the events stream (the last " +
            "EventStreamMaxLength = 10,000 terminations, kept by design) is counted apart.");
        md.AppendLine();
        md.AppendLine("| phase | logins | achieved logins/s | reads | logouts | callbacks | lost | duplicated | errors | used_memory start | peak | end | end − events stream | back within 5 % | drain |");
        md.AppendLine("| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- | --: |");
        foreach (var p in phases)
        {
            var end = p.Final?.UsedMemory ?? 0;
            md.AppendLine(Inv($"| {p.Name} | {p.Logins:N0} | {p.Logins / p.LoadTook.TotalSeconds:N0} | {p.Reads:N0} | {p.Logouts:N0} | {p.Callbacks:N0} | {p.Lost} | {p.Duplicated} | {p.Errors}{(p.Skipped > 0 ? Inv($" ({p.Skipped:N0} logins skipped: 512 in flight)") : "")} | ") +
                Inv($"{Mb(p.BaselineMemory)} | {Mb(p.PeakMemory)} | {Mb(end)} | {Mb(end - p.StreamBytes)} ({(end - p.StreamBytes - p.BaselineMemory) * 100.0 / p.BaselineMemory:+0.0;-0.0} %) | {(p.MemoryReturned ? "yes" : "**no**")} | {p.DrainTook.TotalSeconds:0} s |"));
        }
        md.AppendLine();
        foreach (var p in phases)
        {
            md.AppendLine(c, $"## {p.Name}");
            md.AppendLine();
            if (p.FirstError is { } error)
            {
                md.AppendLine(c, $"First error: {error}");
                md.AppendLine();
            }
            md.AppendLine("Handler latency, expiry → callback (Redis's clock), by minute of the run:");
            md.AppendLine();
            md.AppendLine("| minute | expired sessions handled | p50 ms | p99 ms | max ms |");
            md.AppendLine("| --: | --: | --: | --: | --: |");
            foreach (var (minute, count, p50, p99, max) in p.Latency)
            {
                md.AppendLine(c, $"| {minute} | {count:N0} | {p50} | {p99} | {max} |");
            }
            md.AppendLine();
            md.AppendLine("Samples (every 10 s during the load, then while draining):");
            md.AppendLine();
            md.AppendLine("| s | phase | used_memory | keys | live sessions | pending | logins | callbacks |");
            md.AppendLine("| --: | --- | --: | --: | --: | --: | --: | --: |");
            foreach (var s in p.Samples)
            {
                md.AppendLine(c, $"| {s.At.TotalSeconds:0} | {s.Phase} | {Mb(s.UsedMemory)} | {s.Keys:N0} | {s.Live:N0} | {s.Pending:N0} | {s.Logins:N0} | {s.Callbacks:N0} |");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    private static string ClientVersion =>
        (typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .FirstOrDefault() as System.Reflection.AssemblyInformationalVersionAttribute)?.InformationalVersion.Split('+')[0] ?? "?";

    private static string Inv(FormattableString text) => FormattableString.Invariant(text);

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.00", CultureInfo.InvariantCulture) + " MB";
}
