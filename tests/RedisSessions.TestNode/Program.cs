// A farm node for multi-process tests. Usage:
//   create <redis> <prefix> <user> <count> <max> <evict|reject> <go-file>
//     waits until <go-file> exists (so every process starts at once), creates <count> sessions for <user>,
//     and prints one line per attempt: "created <sid>" or "rejected".
using System.Text.Json;
using RedisSessions;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: create <redis> <prefix> <user> <count> <max> <evict|reject> <go-file>");
    return 2;
}

switch (args[0])
{
    case "create":
    {
        var options = new SessionOptions
        {
            KeyPrefix = args[2],
            MaxSessionsPerUser = int.Parse(args[5]),
            LimitPolicy = args[6] == "reject" ? SessionLimitPolicy.RejectNew : SessionLimitPolicy.EvictOldest,
            EnableAutoCleanup = false,
        };
        await using var manager = await SessionManager.ConnectAsync(args[1], options);
        var goFile = args[7];
        while (!File.Exists(goFile))
        {
            await Task.Delay(5);
        }
        var count = int.Parse(args[4]);
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            try
            {
                var session = await manager.CreateSessionAsync(args[3]);
                return "created " + session.SessionId;
            }
            catch (SessionLimitExceededException)
            {
                return "rejected";
            }
        });
        foreach (var line in await Task.WhenAll(tasks))
        {
            Console.WriteLine(line);
        }
        return 0;
    }
    default:
        Console.Error.WriteLine(JsonSerializer.Serialize(new { error = "unknown command", command = args[0] }));
        return 2;
}
