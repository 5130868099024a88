using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>doctor</c>: checks the server(s) for what RedisSessions relies on; exit code 4 when a check warns or fails.</summary>
internal static class DoctorCommand
{
    public static Command Create(GlobalOptions global)
    {
        var command = new Command("doctor", "Check the server: version, notify-keyspace-events, maxmemory-policy, persistence, cluster topology, listeners. Exit code 4 on a problem; checks the server refuses (CONFIG, INFO) are skipped, not failed.");
        CommandRunner.SetAction(command, global, (context, _, ct) => RunAsync(context, ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        var checks = await new ServerDoctor(context).RunAsync(cancellationToken);
        var problems = checks.Count(c => c.IsProblem);
        var skipped = checks.Count(c => c.Status == DoctorCheck.Skip);
        if (context.Json)
        {
            CliJson.Write(context.Out, new DoctorReport { Redis = context.Target.Display, Prefix = context.Prefix, Healthy = problems == 0, Problems = problems, Skipped = skipped, Checks = checks },
                CliJsonContext.Default.DoctorReport);
        }
        else
        {
            var table = new Table("STATUS", "CHECK", "SERVER", "DETAIL");
            foreach (var check in checks)
            {
                table.Add(check.Status.ToUpperInvariant(), check.Check, check.Server, check.Detail);
            }
            table.Write(context.Out);
            var skips = skipped == 0 ? string.Empty : $" {skipped} check(s) skipped: the server refused what they need (check those settings with your provider).";
            context.Out.WriteLine((problems == 0 ? "No problem found." : $"{problems} problem(s) found.") + skips);
        }
        return problems == 0 ? ExitCodes.Success : ExitCodes.ProblemsFound;
    }
}
