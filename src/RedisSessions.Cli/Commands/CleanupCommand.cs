using System.CommandLine;
using RedisSessions.Administration;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>cleanup</c>: finds damaged indexes, wrong counters and sessions past their time (a plan that changes
/// nothing), lists them, asks on the terminal (or takes <c>--yes</c>), then repairs them and reports. Without a terminal
/// and without <c>--yes</c> it refuses and changes nothing.</summary>
internal static class CleanupCommand
{
    private const int ListedPerKind = 20;

    public static Command Create(GlobalOptions global)
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Don't ask for confirmation (for scripts)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would change." };
        var noScan = new Option<bool>("--no-scan") { Description = "Skip the SCAN of every primary for what no index reaches (check the indexes only)." };
        var command = new Command("cleanup", "Repair stale index entries, wrong due scores and counters, lost pending entries; end sessions past their time: lists them, asks, then reports.")
        {
            yes, dryRun, noScan,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, parse.GetValue(yes), parse.GetValue(dryRun), !parse.GetValue(noScan), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, bool yes, bool dryRun, bool scan, CancellationToken cancellationToken)
    {
        context.Progress.Report(scan ? "scanning the keyspace and walking the indexes..." : "walking the indexes...");
        var plan = await context.Admin.PlanCleanupAsync(new CleanupOptions { ScanKeyspace = scan }, cancellationToken);
        context.Progress.Clear();
        var report = new CleanupReport
        {
            Redis = context.Target.Display,
            Prefix = context.Prefix,
            ScannedKeyspace = plan.ScannedKeyspace,
            PlannedAt = plan.PlannedAt,
            Items = plan.Items.Select(i => new CleanupReportItem
            {
                Kind = CleanupKinds.Name(i.Kind), Tag = i.Tag, Key = i.Key, SessionId = i.SessionId, User = i.UserMember, Detail = i.Detail, Action = CleanupKinds.Action(i.Kind),
            }).ToList(),
            Summary = ByName(plan.CountByKind()),
        };
        if (!context.Json)
        {
            WritePlan(context.Out, report, plan);
        }
        if (plan.Items.Count == 0 || dryRun)
        {
            return Finish(context, report);
        }
        if (!yes)
        {
            if (Console.IsInputRedirected)
            {
                Finish(context, report);
                throw CliException.Usage($"cleanup: refusing to change anything: no terminal to ask for confirmation; re-run with --yes to apply these {plan.Items.Count} change(s).");
            }
            await Console.Error.WriteAsync($"Apply these {plan.Items.Count} change(s) to {context.Target.Display}? [y/N] ");
            var answer = (Console.ReadLine() ?? string.Empty).Trim();
            if (!answer.Equals("y", StringComparison.OrdinalIgnoreCase) && !answer.Equals("yes", StringComparison.OrdinalIgnoreCase))
            {
                await Console.Error.WriteLineAsync("Nothing changed.");
                return Finish(context, report);
            }
        }
        var result = await context.Admin.ApplyCleanupAsync(plan, cancellationToken);
        report.Applied = true;
        report.Result = new CleanupOutcome
        {
            Repaired = ByName(result.Repaired),
            Skipped = ByName(result.Skipped),
            SessionsEnded = result.SessionsEnded,
            TagsSwept = result.TagsSwept,
        };
        if (!context.Json)
        {
            var done = result.Repaired.Select(r => $"{CleanupKinds.Describe(r.Key)}: {Text.Count(r.Value)}").ToList();
            context.Out.WriteLine($"Done. {(done.Count == 0 ? "Nothing needed changing any more." : "Repaired " + string.Join(", ", done) + ".")}");
            if (result.SessionsEnded > 0)
            {
                context.Out.WriteLine($"{Text.Count(result.SessionsEnded)} session(s) past their time ended: they wait as pending terminations; a listening process runs their callbacks, once.");
            }
            if (result.TotalSkipped > 0)
            {
                context.Out.WriteLine($"Skipped {Text.Count(result.TotalSkipped)}: changed since the plan (a session came back, a handler took a termination, a session was created meanwhile): left alone.");
            }
        }
        return Finish(context, report);
    }

    private static SortedDictionary<string, long> ByName(IReadOnlyDictionary<CleanupKind, int> counts) =>
        new(counts.ToDictionary(c => CleanupKinds.Name(c.Key), c => (long)c.Value, StringComparer.Ordinal), StringComparer.Ordinal);

    private static int Finish(CliContext context, CleanupReport report)
    {
        if (context.Json)
        {
            CliJson.Write(context.Out, report, CliJsonContext.Default.CleanupReport);
        }
        return ExitCodes.Success;
    }

    private static void WritePlan(TextWriter output, CleanupReport report, CleanupPlan plan)
    {
        var scanned = report.ScannedKeyspace ? string.Empty : " (keyspace not scanned: --no-scan)";
        if (plan.Items.Count == 0)
        {
            output.WriteLine($"Nothing to clean under prefix \"{Text.Safe(report.Prefix)}\" on {report.Redis}{scanned}.");
            return;
        }
        output.WriteLine($"Cleanup plan for prefix \"{Text.Safe(report.Prefix)}\" on {report.Redis}{scanned}:");
        var table = new Table("WHAT", "KEY", "SESSION / USER", "DETAIL", "ACTION");
        var hidden = 0;
        foreach (var group in plan.Items.GroupBy(i => i.Kind))
        {
            foreach (var item in group.Take(ListedPerKind))
            {
                table.Add(CleanupKinds.Describe(item.Kind), item.Key, item.SessionId ?? (item.UserMember is { } user ? $"(user {user})" : "-"), item.Detail, CleanupKinds.Action(item.Kind));
            }
            hidden += Math.Max(0, group.Count() - ListedPerKind);
        }
        table.Write(output);
        if (hidden > 0)
        {
            output.WriteLine($"… and {Text.Count(hidden)} more (--json lists every item).");
        }
        output.WriteLine($"{Text.Count(plan.Items.Count)} change(s): {string.Join(", ", plan.CountByKind().Select(s => $"{Text.Count(s.Value)} {CleanupKinds.Describe(s.Key)}"))}.");
    }
}
