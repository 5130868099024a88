using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

public sealed class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Probe_after_restart()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var configuration = $"{server.Endpoint},abortConnect=false,connectTimeout=2000,asyncTimeout=3000";
        var timeline = new Timeline();
        var logs = new LogCapture(output, "h");
        await using var handler = await SessionManager.ConnectAsync(configuration, new SessionOptions { KeyPrefix = "x", NodeName = "h" }, logs);
        handler.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        await Eventually.TrueAsync(() => logs.WithId(110).Count > 0, "listening");
        await server.KillAsync();
        await server.StartAgainAsync();
        var started = timeline.NowMs;
        var monitor = Task.Run(async () =>
        {
            for (var i = 0; i < 30; i++)
            {
                var numsub = await RedisTools.RunCliAsync("-p", server.Port.ToString(), "pubsub", "numsub", "__keyevent@0__:expired", "x:pending");
                output.WriteLine($"{timeline.NowMs - started} ms numsub {numsub.Replace('\n', ' ')}");
                await Task.Delay(100);
            }
        });
        await monitor;
        foreach (var e in logs.Entries)
        {
            output.WriteLine($"{e.EventId.Id} {e.Message}");
        }
    }
}
