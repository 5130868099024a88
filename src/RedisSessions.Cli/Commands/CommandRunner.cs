using System.CommandLine;
using RedisSessions.Cli.Connection;

namespace RedisSessions.Cli.Commands;

/// <summary>Gives a command its action: resolve the target, connect, run, disconnect. A Redis that stops answering
/// mid-command becomes exit code 3 with a one-line message, like one that never answered.</summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, GlobalOptions global, Func<CliContext, ParseResult, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetResult(global.InactiveTimeout) is { Implicit: false })
            {
                await Console.Error.WriteLineAsync("redis-sessions: note: --inactive-timeout is ignored (sessions store their last activity).");
            }
            var target = RedisTarget.Resolve(parseResult.GetValue(global.Redis), parseResult.GetValue(global.Prefix));
            await using var context = await CliContext.ConnectAsync(target, parseResult.GetValue(global.Json));
            try
            {
                return await body(context, parseResult, cancellationToken);
            }
            catch (Exception ex) when (CliContext.IsUnreachable(ex))
            {
                throw CliContext.Unreachable(target, ex);
            }
        });
    }
}
