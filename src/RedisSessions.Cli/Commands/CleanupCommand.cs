using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>cleanup</c>: the seed's emergency script (show, confirm, clean), made safe. Lists what it will change,
/// asks on the terminal (or takes <c>--yes</c>), then reports what it did. Without a terminal and without <c>--yes</c>
/// it refuses and changes nothing.</summary>
internal static class CleanupCommand
{
    private const int ListedPerKind = 20;

    public static Command Create(GlobalOptions global)
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Don't ask for confirmation (for scripts)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would change." };
        var noScan = new Option<bool>("--no-scan") { Description = "Skip the SCAN of the prefix's keys for orphaned keys (check the indexes only)." };
        var command = new Command("cleanup", "Remove stale index entries, end sessions past their time, delete orphaned keys: lists them, asks, then reports.")
        {
            yes, dryRun, noScan,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, parse.GetValue(yes), parse.GetValue(dryRun), !parse.GetValue(noScan), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, bool yes, bool dryRun, bool scan, CancellationToken cancellationToken)
    {
        var planner = new CleanupPlanner(context);
        var items = await planner.PlanAsync(scan, cancellationToken);
        var report = new CleanupReport
        {
            Redis = context.Target.Display,
            Prefix = context.Keys.Prefix,
            ScannedForOrphans = scan,
            Items = items.Select(i => new CleanupReportItem { Kind = i.Kind, Key = i.Key, SessionId = i.SessionId, User = i.UserPart, Detail = i.Detail, Action = CleanupKinds.Action(i.Kind) }).ToList(),
            Summary = items.GroupBy(i => CleanupKinds.Group(i.Kind), StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal),
        };
        if (!context.Json)
        {
            WritePlan(context.Out, report);
        }
        if (items.Count == 0 || dryRun)
        {
            return Finish(context, report);
        }
        if (!yes)
        {
            if (Console.IsInputRedirected)
            {
                Finish(context, report);
                throw CliException.Usage($"cleanup: refusing to change anything: no terminal to ask for confirmation; re-run with --yes to apply these {items.Count} change(s).");
            }
            await Console.Error.WriteAsync($"Apply these {items.Count} change(s) to {context.Target.Display}? [y/N] ");
            var answer = (Console.ReadLine() ?? string.Empty).Trim();
            if (!answer.Equals("y", StringComparison.OrdinalIgnoreCase) && !answer.Equals("yes", StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync("Nothing changed.");
                return Finish(context, report);
            }
        }
        var result = await planner.ApplyAsync(items, cancellationToken);
        report.Applied = true;
        report.Result = result.Counts;
        if (!context.Json)
        {
            var done = CleanupResult.Counters.Where(c => result.Counts[c] > 0).Select(c => $"{c.Replace('_', ' ')}: {Text.Count(result.Counts[c])}").ToList();
            context.Out.WriteLine($"Done. {(done.Count == 0 ? "Nothing needed changing any more." : string.Join(", ", done) + ".")}");
            if (result.Counts["ended_sessions"] > 0)
            {
                context.Out.WriteLine("Ended sessions wait as pending terminations: a listening process runs their callbacks, once.");
            }
            if (result.Counts["skipped"] > 0)
            {
                context.Out.WriteLine("Skipped entries had changed since the plan (a session came back, a handler took a termination): left alone.");
            }
        }
        return Finish(context, report);
    }

    private static int Finish(CliContext context, CleanupReport report)
    {
        if (context.Json)
        {
            CliJson.Write(context.Out, report, CliJsonContext.Default.CleanupReport);
        }
        return ExitCodes.Success;
    }

    private static void WritePlan(TextWriter output, CleanupReport report)
    {
        if (report.Items.Count == 0)
        {
            output.WriteLine($"Nothing to clean under prefix \"{Text.Safe(report.Prefix)}\" on {report.Redis}{(report.ScannedForOrphans ? string.Empty : " (orphaned keys not checked: --no-scan)")}.");
            return;
        }
        output.WriteLine($"Cleanup plan for prefix \"{Text.Safe(report.Prefix)}\" on {report.Redis}:");
        var table = new Table("WHAT", "KEY", "SESSION", "DETAIL", "ACTION");
        var hidden = 0;
        foreach (var group in report.Items.GroupBy(i => i.Kind, StringComparer.Ordinal))
        {
            foreach (var item in group.Take(ListedPerKind))
            {
                table.Add(CleanupKinds.Describe(item.Kind), item.Key, item.SessionId ?? $"(user {item.User})", item.Detail, item.Action);
            }
            hidden += Math.Max(0, group.Count() - ListedPerKind);
        }
        table.Write(output);
        if (hidden > 0)
        {
            output.WriteLine($"… and {Text.Count(hidden)} more (--json lists every item).");
        }
        output.WriteLine($"{Text.Count(report.Items.Count)} change(s): {string.Join(", ", report.Summary.Select(s => $"{Text.Count(s.Value)} {s.Key}"))}.");
    }
}
