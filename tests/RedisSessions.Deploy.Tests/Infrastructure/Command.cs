using System.Diagnostics;
using System.Text;

namespace RedisSessions.Deploy.Tests.Infrastructure;

/// <summary>What a finished (or timed out) command did.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, bool TimedOut, string Output)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>The command, how it ended, and the last <paramref name="lines"/> lines of its output.</summary>
    public string Describe(int lines = 60)
    {
        var all = Output.Split('\n');
        var tail = string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        var ending = TimedOut ? "timed out" : $"exited with {ExitCode}";
        return $"`{CommandLine}` {ending}; last lines of its output:\n{tail}";
    }
}

/// <summary>Runs a program from the repository root with a time limit, its standard output and error merged.</summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var commandLine = string.Join(' ', [program, .. arguments]);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(commandLine, -1, false, $"could not start {program}: {e.Message}");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        // The last lines of the asynchronous readers.
        process.WaitForExit();
        string text;
        lock (output)
        {
            text = output.ToString();
        }
        return new CommandResult(commandLine, timedOut ? -1 : process.ExitCode, timedOut, text);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }
}
