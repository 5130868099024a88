using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>events</c>: prints the termination stream (one line per ended session, written by the process that ran
/// its callbacks), and with <c>--follow</c> keeps printing new ones until Ctrl+C. JSON is one object per line.</summary>
internal static class EventsCommand
{
    private const int FollowBatch = 1000;

    public static Command Create(GlobalOptions global)
    {
        var count = NumberOption.Create("--count", "How many of the newest events to print first. Default 20.", 0, 100_000, "events", "-n");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events as they arrive (polls; Ctrl+C stops)." };
        var interval = DurationOption.Create("--poll-interval", "With --follow: how often to look for new events. Default 250ms.");
        var command = new Command("events", "Print the termination stream (reason, session, user, node, handler); --follow keeps printing.")
        {
            count, follow, interval,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) =>
            RunAsync(context, parse.GetValue(count) ?? 20, parse.GetValue(follow), parse.GetValue(interval) ?? TimeSpan.FromMilliseconds(250), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, int count, bool follow, TimeSpan interval, CancellationToken cancellationToken)
    {
        var reader = new EventReader(context);
        var latest = count > 0 ? await reader.LatestAsync(count) : [];
        if (!context.Json)
        {
            context.Out.WriteLine(Line("TIME", "REASON", "SESSION", "USER", "NODE", "HANDLED BY"));
            if (latest.Count == 0 && !follow)
            {
                context.Out.WriteLine($"(no termination events in {Text.Safe(context.Keys.Events.ToString())})");
            }
        }
        Print(context, latest);
        if (!follow)
        {
            return ExitCodes.Success;
        }
        var last = latest.Count > 0 ? latest[^1].Id : await LastIdAsync(reader);
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = await reader.AfterAsync(last, FollowBatch);
            if (next.Count > 0)
            {
                Print(context, next);
                last = next[^1].Id;
                continue;
            }
            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return ExitCodes.Success;
    }

    /// <summary>Where following starts when no event was printed: after the newest one (or the stream's start).</summary>
    private static async Task<string> LastIdAsync(EventReader reader) => (await reader.LatestAsync(1)) is [var newest] ? newest.Id : "0-0";

    private static void Print(CliContext context, List<TerminationEvent> events)
    {
        foreach (var e in events)
        {
            context.Out.WriteLine(context.Json
                ? CliJson.Line(e, CliJsonContext.Default.TerminationEvent)
                : Line(Text.Time(e.At), e.Reason, e.SessionId, e.UserId, e.Node, e.HandledBy));
        }
    }

    private static string Line(string time, string reason, string session, string user, string node, string handledBy) =>
        Text.Safe($"{time,-20}  {reason,-16}  {session,-25}  {user,-20}  {node,-20}  {handledBy}").TrimEnd();
}
