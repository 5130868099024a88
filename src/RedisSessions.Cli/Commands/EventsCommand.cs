using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>events</c>: prints the termination stream (one line per ended session, written by the process that ran
/// its callbacks), and with <c>--follow</c> keeps printing new ones until Ctrl+C (then exits 0). JSON is one object per
/// line.</summary>
internal static class EventsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var count = NumberOption.Create("--count", "How many of the newest events to print first. Default 20.", 0, 100_000, "events", "-n");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events as they arrive (polls; Ctrl+C stops)." };
        var interval = DurationOption.Create("--poll-interval", "With --follow: how often to look for new events. Default 250ms.");
        var command = new Command("events", "Print the termination stream (reason, session, user, node, handler); --follow keeps printing.")
        {
            count, follow, interval,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(interval) is { } poll && poll <= TimeSpan.Zero)
            {
                result.AddError("--poll-interval must be longer than 0.");
            }
        });
        CommandRunner.SetAction(command, global, (context, parse, ct) =>
            RunAsync(context, parse.GetValue(count) ?? 20, parse.GetValue(follow), parse.GetValue(interval) ?? TimeSpan.FromMilliseconds(250), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, int count, bool follow, TimeSpan interval, CancellationToken cancellationToken)
    {
        var latest = await context.Admin.ReadLatestEventsAsync(count, cancellationToken);
        if (!context.Json)
        {
            context.Out.WriteLine(Line("TIME", "REASON", "SESSION", "USER", "NODE", "HANDLED BY"));
            if (latest.Count == 0 && !follow)
            {
                context.Out.WriteLine($"(no termination events in {Text.Safe(context.Admin.EventStreamKey)})");
            }
        }
        foreach (var e in latest)
        {
            Print(context, EventRow.From(e));
        }
        if (!follow)
        {
            return ExitCodes.Success;
        }
        // From the newest one printed (or, when none was, the newest one there is now).
        var after = latest.Count > 0 ? latest[^1].Id : null;
        try
        {
            await foreach (var e in context.Admin.FollowEventsAsync(after, interval, cancellationToken))
            {
                Print(context, EventRow.From(e));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: how following is meant to stop.
        }
        return ExitCodes.Success;
    }

    private static void Print(CliContext context, EventRow e)
    {
        context.Out.WriteLine(context.Json
            ? CliJson.Line(e, CliJsonContext.Default.EventRow)
            : Line(Text.Time(e.At), e.Reason, e.SessionId, e.UserId, e.Node, e.HandledBy));
        context.Out.Flush();
    }

    private static string Line(string time, string reason, string session, string user, string node, string handledBy) =>
        Text.Safe($"{time,-20}  {reason,-16}  {session,-25}  {user,-20}  {node,-20}  {handledBy}").TrimEnd();
}
