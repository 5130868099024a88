using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Commands;

/// <summary><c>list</c>: one row per live session. With <c>--user</c> it reads that user's index only; otherwise it walks
/// the 1,024 expiry indexes page by page (never KEYS, never SCAN). Never counts as activity.</summary>
internal static class ListCommand
{
    public static Command Create(GlobalOptions global)
    {
        var user = new Option<string?>("--user") { Description = "Only this user's sessions (reads the user's index, no walk).", HelpName = "user id" };
        var node = new Option<string?>("--node") { Description = "Only sessions created by this node (SessionOptions.NodeName).", HelpName = "node" };
        var idleOver = DurationOption.Create("--idle-over", "Only sessions with no activity for at least this long (10m, 90s, 1h30m, 2d).");
        var limit = NumberOption.Create("--limit", "Print at most this many rows (the most idle first).", 1, int.MaxValue, "rows");
        var command = new Command("list", "One row per active session: id, user, node, created, last activity, expires in. Most idle first.")
        {
            user, node, idleOver, limit,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, parse.GetValue(user), parse.GetValue(node), parse.GetValue(idleOver), parse.GetValue(limit), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string? user, string? node, TimeSpan? idleOver, int? limit, CancellationToken cancellationToken)
    {
        var now = CliContext.NowMs;
        var idleMs = idleOver is { } idle ? (long)idle.TotalMilliseconds : (long?)null;
        List<SessionRow> rows;
        if (!string.IsNullOrEmpty(user))
        {
            var sessions = await ReadUserAsync(context, user, now, cancellationToken);
            rows = sessions.Select(s => SessionRow.From(s, now))
                .Where(r => node is null || r.Node == node)
                .Where(r => idleMs is null || r.IdleSeconds * 1000 >= idleMs)
                .ToList();
        }
        else
        {
            var entries = await new SessionWalker(context).WalkAsync(
                e => e.IsLive(now) && (node is null || e.Node == node) && (idleMs is null || now - e.Last >= idleMs), cancellationToken);
            rows = entries.Select(e => SessionRow.From(e, now)).ToList();
        }
        var total = rows.Count;
        rows = rows.OrderByDescending(r => r.IdleSeconds).ThenBy(r => r.SessionId, StringComparer.Ordinal).Take(limit ?? int.MaxValue).ToList();

        if (context.Json)
        {
            CliJson.Write(context.Out, new SessionList { Count = rows.Count, Matched = total, Sessions = rows }, CliJsonContext.Default.SessionList);
            return ExitCodes.Success;
        }
        if (rows.Count == 0)
        {
            context.Out.WriteLine("No active session matches.");
            return ExitCodes.Success;
        }
        var table = new Table("SESSION", "USER", "NODE", "CREATED", "LAST ACTIVITY", "IDLE", "EXPIRES IN").AlignRight(5, 6);
        foreach (var row in rows)
        {
            table.Add(row.SessionId, row.UserId, row.Node, Text.Time(row.CreatedAt), Text.Time(row.LastActivity),
                Text.Duration(TimeSpan.FromSeconds(row.IdleSeconds)), Text.Duration(TimeSpan.FromSeconds(row.ExpiresInSeconds)));
        }
        table.Write(context.Out);
        context.Out.WriteLine(rows.Count == total ? $"{Text.Count(total)} session(s)." : $"{Text.Count(rows.Count)} of {Text.Count(total)} session(s) shown (--limit).");
        return ExitCodes.Success;
    }

    /// <summary>The user's live sessions, oldest first, as <c>SessionManager.GetUserSessionsAsync</c> reads them (the
    /// library's list-user script: the user's index entry only), with each creating node's idle timeout.</summary>
    private static async Task<List<SessionRecord>> ReadUserAsync(CliContext context, string user, long now, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var nodes = await context.NodesAsync();
        var result = await SessionScripts.ListUser.EvaluateAsync(context.Db, [context.Keys.Users(SessionKeys.BucketOf(user))], [user, now]);
        var items = (RedisResult[])result!;
        var sessions = new List<SessionRecord>(items.Length / 2);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            var sessionId = (string)items[i]!;
            var fields = items[i + 1];
            var record = await nodes.ReadAsync(context, SessionRecord.FromResult(sessionId, fields, nodes.DefaultIdleTimeout));
            if (record is not null && record.UserId == user && record.ExpiresMs > now)
            {
                sessions.Add(record);
            }
        }
        return sessions;
    }
}
