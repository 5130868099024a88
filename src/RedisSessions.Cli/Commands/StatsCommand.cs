using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>stats</c>: the farm-wide figures (1,024 small reads), sessions per node and the most idle session (a walk
/// of every session, unless <c>--no-walk</c>), and the listener heartbeats.</summary>
internal static class StatsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var noWalk = new Option<bool>("--no-walk") { Description = "Skip the walk of every session (sessions per node, most idle session): for large stores." };
        var command = new Command("stats", "Active sessions, unique users, pending terminations, sessions per node, the most idle session and listener heartbeats.")
        {
            noWalk,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, !parse.GetValue(noWalk), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, bool walk, CancellationToken cancellationToken)
    {
        if (walk)
        {
            context.Progress.Report("walking the session indexes...");
        }
        var stats = await context.Admin.GetStatisticsAsync(walk, cancellationToken);
        context.Progress.Clear();
        var listeners = await context.Admin.GetListenersAsync(cancellationToken);
        var totals = stats.Totals;
        var report = new StatsReport
        {
            Redis = context.Target.Display,
            Prefix = context.Prefix,
            ActiveSessions = totals.TotalActiveSessions,
            UniqueUsers = totals.UniqueUsers,
            OverdueSessions = totals.OverdueSessions,
            PendingTerminations = totals.PendingTerminations,
            SessionsPerNode = stats.SessionsPerNode?.OrderByDescending(n => n.Value).ThenBy(n => n.Key, StringComparer.Ordinal).ToDictionary(n => n.Key, n => n.Value, StringComparer.Ordinal),
            MostIdleSession = stats.MostIdleSession is { } idle ? SessionRow.From(idle) : null,
            Walked = stats.Walked,
            Listeners = listeners.Select(ListenerRow.From).ToList(),
        };
        if (context.Json)
        {
            CliJson.Write(context.Out, report, CliJsonContext.Default.StatsReport);
            return ExitCodes.Success;
        }

        var output = context.Out;
        output.WriteLine($"Sessions under prefix \"{Text.Safe(report.Prefix)}\" on {report.Redis}");
        var summary = new Table("FIGURE", "VALUE").AlignRight(1);
        summary.Add("Active sessions", Text.Count(report.ActiveSessions));
        summary.Add("Unique users", Text.Count(report.UniqueUsers));
        summary.Add("Sessions past their time, not yet ended", Text.Count(report.OverdueSessions));
        summary.Add("Terminations pending for listeners", Text.Count(report.PendingTerminations));
        summary.Write(output);
        output.WriteLine();
        if (!report.Walked)
        {
            output.WriteLine("Sessions per node and the most idle session: not read (--no-walk).");
        }
        else
        {
            if (report.MostIdleSession is not { } row)
            {
                output.WriteLine("Most idle session: none (no active session)");
            }
            else
            {
                output.WriteLine(Text.Safe($"Most idle session: {row.SessionId} (user {row.UserId}, node {row.Node}), idle {Text.Duration(TimeSpan.FromSeconds(row.IdleSeconds))}, expires in {Text.Duration(TimeSpan.FromSeconds(row.ExpiresInSeconds))}"));
            }
            output.WriteLine();
            output.WriteLine("Sessions per node:");
            var nodes = new Table("NODE", "SESSIONS").AlignRight(1);
            foreach (var (node, count) in report.SessionsPerNode!)
            {
                nodes.Add(node.Length == 0 ? "(none)" : node, Text.Count(count));
            }
            if (nodes.Count == 0)
            {
                output.WriteLine("  (no active session)");
            }
            else
            {
                nodes.Write(output);
            }
        }
        output.WriteLine();
        ListenerRow.WriteTable(output, report.Listeners);
        return ExitCodes.Success;
    }
}
