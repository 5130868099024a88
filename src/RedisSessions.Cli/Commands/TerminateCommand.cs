using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>terminate</c>: ends sessions through SessionManager (reason Admin), as the application would. The CLI
/// registers no termination callback, so each termination is left pending and announced to the farm: a listening
/// process with callbacks runs them, once.</summary>
internal static class TerminateCommand
{
    public static Command Create(GlobalOptions global)
    {
        var sessionId = new Argument<string?>("session-id") { Description = "The session to end.", Arity = ArgumentArity.ZeroOrOne };
        var user = new Option<string?>("--user") { Description = "End every session of this user.", HelpName = "user id" };
        var except = new Option<string?>("--except") { Description = "With --user: keep this session.", HelpName = "session id" };
        var node = new Option<string?>("--node") { Description = "End every session created by this node (walks the indexes).", HelpName = "node" };
        var command = new Command("terminate", "End a session, a user's sessions or a node's sessions (reason Admin); termination callbacks run once, in a listening process.")
        {
            sessionId, user, except, node,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(user) is { } u && string.IsNullOrWhiteSpace(u)) || (result.GetValue(node) is { } n && string.IsNullOrWhiteSpace(n)))
            {
                result.AddError("--user and --node need a value.");
                return;
            }
            var targets = (result.GetValue(sessionId) is null ? 0 : 1) + (result.GetValue(user) is null ? 0 : 1) + (result.GetValue(node) is null ? 0 : 1);
            if (targets != 1)
            {
                result.AddError("terminate needs exactly one of: a session id, --user <user id>, --node <node>.");
            }
            else if (result.GetValue(except) is not null && result.GetValue(user) is null)
            {
                result.AddError("--except only goes with --user.");
            }
        });
        CommandRunner.SetAction(command, global, (context, parse, ct) =>
            parse.GetValue(sessionId) is { } id ? OneAsync(context, id, ct)
            : parse.GetValue(user) is { } u ? UserAsync(context, u, parse.GetValue(except), ct)
            : NodeAsync(context, parse.GetValue(node)!, ct));
        return command;
    }

    private static async Task<int> OneAsync(CliContext context, string sessionId, CancellationToken cancellationToken)
    {
        if (!await context.Admin.TerminateSessionAsync(sessionId, cancellationToken))
        {
            throw CliException.NotFound($"no session {Text.Safe(sessionId)} (unknown, past its time or already ended); nothing was terminated.");
        }
        return Report(context, new TerminateReport { Target = "session", Value = sessionId, Count = 1, Sessions = [sessionId] });
    }

    private static async Task<int> UserAsync(CliContext context, string user, string? except, CancellationToken cancellationToken)
    {
        var result = await context.Admin.TerminateUserSessionsAsync(user, except, cancellationToken);
        return Report(context, new TerminateReport { Target = "user", Value = user, Except = except, Count = result.Count, Sessions = [.. result.SessionIds] });
    }

    private static async Task<int> NodeAsync(CliContext context, string node, CancellationToken cancellationToken)
    {
        context.Progress.Report($"walking the session indexes for node {node}...");
        var result = await context.Admin.TerminateNodeSessionsAsync(node, cancellationToken);
        context.Progress.Clear();
        return Report(context, new TerminateReport { Target = "node", Value = node, Count = result.Count, Sessions = [.. result.SessionIds] });
    }

    private static int Report(CliContext context, TerminateReport report)
    {
        if (context.Json)
        {
            CliJson.Write(context.Out, report, CliJsonContext.Default.TerminateReport);
            return ExitCodes.Success;
        }
        var what = report.Target switch
        {
            "session" => $"session {report.Value}",
            "user" => $"{Text.Count(report.Count)} session(s) of user {Text.Safe(report.Value)}" + (report.Except is { } keep ? $" (kept {Text.Safe(keep)})" : string.Empty),
            _ => $"{Text.Count(report.Count)} session(s) of node {Text.Safe(report.Value)}",
        };
        context.Out.WriteLine($"Terminated {what} (reason admin).");
        foreach (var id in report.Target == "session" ? [] : report.Sessions)
        {
            context.Out.WriteLine("  " + id);
        }
        if (report.Count > 0)
        {
            context.Out.WriteLine("Their termination callbacks run in a listening process (pending until one takes them).");
        }
        return ExitCodes.Success;
    }
}
