using System.CommandLine;
using RedisSessions.Administration;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>list</c>: one row per active session, most idle first. With <c>--user</c> it reads that user's index
/// only; otherwise it walks every tag's indexes (never KEYS, never a keyspace SCAN). Never counts as activity.</summary>
internal static class ListCommand
{
    public static Command Create(GlobalOptions global)
    {
        var user = new Option<string?>("--user") { Description = "Only this user's sessions (reads the user's index, no walk).", HelpName = "user id" };
        var node = new Option<string?>("--node") { Description = "Only sessions created by this node (SessionOptions.NodeName).", HelpName = "node" };
        var idleOver = DurationOption.Create("--idle-over", "Only sessions with no activity for at least this long on Redis's clock (10m, 90s, 1h30m, 2d).");
        var limit = NumberOption.Create("--limit", "Print at most this many rows (the most idle first).", 1, int.MaxValue, "rows");
        var data = new Option<bool>("--data") { Description = "With --json: include each session's data values." };
        var command = new Command("list", "One row per active session: id, user, node, created, last activity, idle, expires in, data keys. Most idle first.")
        {
            user, node, idleOver, limit, data,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(user) is { } u && string.IsNullOrWhiteSpace(u))
            {
                result.AddError("--user needs a user id.");
            }
        });
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, new SessionFilter
        {
            UserId = parse.GetValue(user),
            Node = parse.GetValue(node),
            IdleFor = parse.GetValue(idleOver),
            IncludeData = parse.GetValue(data) && context.Json,
        }, parse.GetValue(limit), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, SessionFilter filter, int? limit, CancellationToken cancellationToken)
    {
        var sessions = new List<SessionSummary>();
        await foreach (var session in context.Admin.ListSessionsAsync(filter, cancellationToken))
        {
            sessions.Add(session);
            if (sessions.Count % 500 == 0)
            {
                context.Progress.Report($"walking the session indexes: {Text.Count(sessions.Count)} sessions");
            }
        }
        context.Progress.Clear();
        var total = sessions.Count;
        var shown = sessions.OrderBy(s => s.LastActivity).ThenBy(s => s.SessionId, StringComparer.Ordinal).Take(limit ?? int.MaxValue).ToList();

        if (context.Json)
        {
            var rows = shown.Select(s => (SessionRow: SessionRow.From(s), s.Data)).ToList();
            CliJson.Write(context.Out, new SessionList
            {
                Count = rows.Count,
                Matched = total,
                Sessions = rows.Select(r => r.SessionRow).ToList(),
                Data = filter.IncludeData ? rows.ToDictionary(r => r.SessionRow.SessionId, r => new SortedDictionary<string, string>(r.Data!.ToDictionary(), StringComparer.Ordinal), StringComparer.Ordinal) : null,
            }, CliJsonContext.Default.SessionList);
            return ExitCodes.Success;
        }
        if (shown.Count == 0)
        {
            context.Out.WriteLine("No active session matches.");
            return ExitCodes.Success;
        }
        var table = new Table("SESSION", "USER", "NODE", "CREATED", "LAST ACTIVITY", "IDLE", "EXPIRES IN", "DATA").AlignRight(5, 6, 7);
        foreach (var s in shown)
        {
            table.Add(s.SessionId, s.UserId, s.Node, Text.Time(s.CreatedAt), Text.Time(s.LastActivity), Text.Duration(s.IdleTime), Text.Duration(s.ExpiresIn), Text.Count(s.DataCount));
        }
        table.Write(context.Out);
        context.Out.WriteLine(shown.Count == total ? $"{Text.Count(total)} session(s)." : $"{Text.Count(shown.Count)} of {Text.Count(total)} session(s) shown (--limit).");
        return ExitCodes.Success;
    }
}
