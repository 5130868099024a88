using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>stats</c>: farm-wide figures from the bucket counters, sessions per node and the most idle session from
/// a walk of the expiry indexes, and the listener heartbeats.</summary>
internal static class StatsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("stats", "Active sessions, unique users, sessions per node, the most idle session and listener heartbeats.");
        CommandRunner.SetAction(command, global, (context, _, ct) => RunAsync(context, ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var stats = await context.Manager.GetStatsAsync(cancellationToken);
        var now = CliContext.NowMs;
        var live = await new SessionWalker(context).WalkAsync(e => e.IsLive(now), cancellationToken);
        var heartbeats = await HeartbeatReader.ReadAsync(context, cancellationToken);
        var perNode = live.GroupBy(e => e.Node, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        var mostIdle = live.OrderBy(e => e.Last).ThenBy(e => e.SessionId, StringComparer.Ordinal).FirstOrDefault();

        var report = new StatsReport
        {
            Redis = context.Target.Display,
            Prefix = context.Keys.Prefix,
            ActiveSessions = stats.TotalActiveSessions,
            UniqueUsers = stats.UniqueUsers,
            OverdueSessions = stats.OverdueSessions,
            PendingTerminations = stats.PendingTerminations,
            SessionsPerNode = perNode,
            MostIdleSession = mostIdle is null ? null : SessionRow.From(mostIdle, now),
            Listeners = heartbeats.Select(h => ListenerRow.From(h, now)).ToList(),
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
        if (mostIdle is null)
        {
            output.WriteLine("Most idle session: none (no active session)");
        }
        else
        {
            var row = report.MostIdleSession!;
            output.WriteLine(Text.Safe($"Most idle session: {row.SessionId} (user {row.UserId}, node {row.Node}), idle {Text.Duration(TimeSpan.FromSeconds(row.IdleSeconds))}, expires in {Text.Duration(TimeSpan.FromSeconds(row.ExpiresInSeconds))}"));
        }
        output.WriteLine();
        output.WriteLine("Sessions per node:");
        var nodes = new Table("NODE", "SESSIONS").AlignRight(1);
        foreach (var (node, count) in perNode)
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
        output.WriteLine();
        ListenerRow.WriteTable(output, report.Listeners);
        return ExitCodes.Success;
    }
}
