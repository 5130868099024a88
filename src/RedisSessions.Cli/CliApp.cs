using System.CommandLine;
using System.CommandLine.Help;
using RedisSessions.Cli.Commands;

namespace RedisSessions.Cli;

/// <summary>The <c>redis-sessions</c> command line: System.CommandLine parses it; every error ends as one line on
/// standard error and an exit code from <see cref="ExitCodes"/>, never a stack trace (set REDIS_SESSIONS_DEBUG=1 to
/// see one).</summary>
internal static class CliApp
{
    private const string Name = "redis-sessions";

    /// <summary>The root is a plain command named <c>redis-sessions</c> (a RootCommand would take the assembly's name,
    /// RedisSessions.Cli, which the package and the tests name the program by), with the help and version options added.</summary>
    public static Command BuildRoot(GlobalOptions global)
    {
        var root = new Command(Name, "Inspect and administer a RedisSessions store: stats, list, show, terminate, cleanup, events, doctor.\n"
            + "Exit codes: 0 success, 1 session not found (or not active), 2 usage error, 3 Redis unreachable, 4 doctor found a problem, "
            + "5 other failure, 130 interrupted.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        global.AddTo(root);
        root.Subcommands.Add(StatsCommand.Create(global));
        root.Subcommands.Add(ListCommand.Create(global));
        root.Subcommands.Add(ShowCommand.Create(global));
        root.Subcommands.Add(TerminateCommand.Create(global));
        root.Subcommands.Add(CleanupCommand.Create(global));
        root.Subcommands.Add(EventsCommand.Create(global));
        root.Subcommands.Add(DoctorCommand.Create(global));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var global = new GlobalOptions();
        ParseResult parseResult;
        try
        {
            parseResult = BuildRoot(global).Parse(args);
        }
        catch (InvalidOperationException ex)
        {
            return Fail(ExitCodes.Usage, Connection.RedisTarget.OneLine(ex.Message), ex);
        }
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await Console.Error.WriteLineAsync($"{Name}: {error.Message}");
            }
            await Console.Error.WriteLineAsync($"Run '{Name} {CommandPath(parseResult)}--help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            // Ctrl+C and SIGTERM cancel the command's token (a new InvocationConfiguration leaves that off): a command
            // stops, says "interrupted." and exits 130; events --follow ends with 0. One that doesn't stop within the
            // timeout is abandoned with 130 (143 for SIGTERM).
            return await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(5) });
        }
        catch (CliException ex)
        {
            return Fail(ex.ExitCode, ex.Message, ex);
        }
        catch (OperationCanceledException ex)
        {
            return Fail(ExitCodes.Interrupted, "interrupted.", ex);
        }
        catch (Exception ex) when (Connection.CliContext.IsUnreachable(ex))
        {
            return Fail(ExitCodes.Unreachable, $"Redis stopped answering: {Connection.RedisTarget.OneLine(ex.Message)}", ex);
        }
#pragma warning disable CA1031 // The last line of defence: whatever it is, the operator gets one line, not a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Fail(ExitCodes.Failed, $"failed: {Connection.RedisTarget.OneLine(ex.Message)} ({ex.GetType().Name})", ex);
        }
    }

    private static int Fail(int exitCode, string message, Exception ex)
    {
        Console.Error.WriteLine($"{Name}: {message}");
        if (Environment.GetEnvironmentVariable("REDIS_SESSIONS_DEBUG") is "1" or "true")
        {
            Console.Error.WriteLine(ex);
        }
        return exitCode;
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        return command.Name == Name ? string.Empty : command.Name + " ";
    }
}
