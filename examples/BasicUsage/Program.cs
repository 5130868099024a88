// Example 1 — basic usage: create a session for a user with some data, load it, record activity, change its data,
// list the user's sessions, end one (logout) and read the store's statistics.
//
// Run it:  RedisSessions__Configuration=localhost:6379 dotnet run --project examples/BasicUsage
using RedisSessions;
using RedisSessions.Examples;

const string User = "user123";

return await Example.RunAsync("Example 1: basic usage", async redis =>
{
    Example.Step("Connect to Redis with the default settings (a session ends after 30 min without activity).");
    var options = new SessionOptions
    {
        // Every Redis key of this example starts with "example-basic:", so it never mixes with other applications.
        KeyPrefix = "example-basic",
    };
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    var leftOver = await manager.TerminateUserSessionsAsync(User);
    Example.Say(leftOver == 0 ? "Connected." : $"Connected; ended {leftOver} session(s) an earlier run left behind.");

    try
    {
        Example.Step($"The user \"{User}\" logs in: create a session for them holding their name and role.");
        var laptop = await manager.CreateSessionAsync(User, new Dictionary<string, string>
        {
            ["username"] = "john_doe",
            ["role"] = "admin",
        });
        Example.Say($"Session id: {laptop.SessionId} (send it to the browser in a cookie)");
        Example.Say($"Created at {laptop.CreatedAt:HH:mm:ss}, ends at {laptop.ExpiresAt:HH:mm:ss} unless the user is active again.");
        Example.Say($"As a dictionary: {string.Join(", ", laptop.ToDictionary().Select(p => $"{p.Key}={Describe(p.Value)}"))}");
        Example.Check(laptop.ExpiresAt - laptop.CreatedAt == options.InactiveTimeout, "the session lasts 30 min from its creation");

        Example.Step("The next request arrives with that id: load the session from Redis.");
        var loaded = await manager.GetSessionAsync(laptop.SessionId)
            ?? throw new ExampleFailedException("the session just created could not be loaded.");
        Example.Say($"Found the session of \"{loaded.UserId}\" with data: {Example.Format(loaded.Data)}");
        Example.Check(loaded.UserId == User && loaded.GetData("username") == "john_doe" && loaded.GetData("role") == "admin",
            "it belongs to the same user and carries the same data");
        Example.Say($"A key that was never set gives the default you pass: GetData(\"theme\", \"light\") = {loaded.GetData("theme", "light")}");

        Example.Step("The user does something: record the activity, which pushes the end of the session back.");
        var before = loaded.ExpiresAt;
        var stillThere = await manager.UpdateSessionActivityAsync(laptop.SessionId);
        var touched = await manager.PeekSessionAsync(laptop.SessionId); // Peek reads without counting as activity
        Example.Check(stillThere && touched is not null, "the session was still there and its activity was recorded");
        Example.Say($"Last activity {touched!.LastActivity:HH:mm:ss.fff}, now ends at {touched.ExpiresAt:HH:mm:ss.fff} (was {before:HH:mm:ss.fff}).");
        Example.Check(touched.ExpiresAt >= before && touched.ExpiresAt - touched.LastActivity == options.InactiveTimeout,
            "the session now ends 30 min after this last activity");

        Example.Step("Store more data in the session: one value through the session, two at once through the manager.");
        await laptop.SetDataAsync("last_page", "/dashboard");
        Example.Say($"laptop.GetData(\"last_page\") = {laptop.GetData("last_page")}");
        await manager.SetSessionDataAsync(laptop.SessionId, new Dictionary<string, string> { ["theme"] = "dark", ["language"] = "en" });
        var reloaded = await manager.GetSessionAsync(laptop.SessionId)
            ?? throw new ExampleFailedException("the session disappeared after its data was changed.");
        Example.Say($"Loaded again from Redis: {Example.Format(reloaded.Data)}");
        Example.Check(reloaded.GetData("last_page") == "/dashboard" && reloaded.GetData("theme") == "dark"
            && reloaded.GetData("language") == "en" && reloaded.GetData("username") == "john_doe",
            "Redis holds the new values next to the old ones");

        Example.Step($"\"{User}\" also logs in from their phone: a second session for the same user.");
        await Example.WaitUntilAfterAsync(laptop.CreatedAt); // a later login, so "oldest first" is well defined
        var phone = await manager.CreateSessionAsync(User, new Dictionary<string, string> { ["device"] = "phone" });
        var sessions = await manager.GetUserSessionsAsync(User);
        Example.Say($"Sessions of \"{User}\", oldest first:");
        foreach (var session in sessions)
        {
            Example.Say($"  - {session.SessionId}: created {session.CreatedAt:HH:mm:ss.fff}, data {Example.Format(session.Data)}");
        }
        Example.Check(sessions.Select(s => s.SessionId).SequenceEqual([laptop.SessionId, phone.SessionId]),
            "the user has exactly these two sessions, the laptop's first");

        Example.Step("Statistics of the whole store (every server sharing this Redis and key prefix).");
        var stats = await manager.GetStatsAsync();
        PrintStats(stats);
        Example.Check(stats.TotalActiveSessions == 2 && stats.UniqueUsers == 1, "the store counts 2 active sessions of 1 user");

        Example.Step("The user logs out on the laptop: end that session.");
        var ended = await manager.TerminateSessionAsync(laptop.SessionId);
        Example.Check(ended, "the laptop session was ended");
        Example.Check(await manager.GetSessionAsync(laptop.SessionId) is null, "its id no longer loads a session");
        var remaining = await manager.GetUserSessionsAsync(User);
        Example.Check(remaining.Count == 1 && remaining[0].SessionId == phone.SessionId, "the phone session is still there");
        Example.Check(!await manager.TerminateSessionAsync(laptop.SessionId), "ending it a second time does nothing (returns false)");

        Example.Step("Statistics again.");
        stats = await manager.GetStatsAsync();
        PrintStats(stats);
        Example.Check(stats.TotalActiveSessions == 1, "the store counts 1 active session");
    }
    finally
    {
        await Example.CleanUpAsync(async () =>
        {
            Example.Step("Clean up: end every session of this example still open.");
            var count = await manager.TerminateUserSessionsAsync(User);
            Example.Say($"Ended {count} session(s).");
            Example.Say("Redis keeps the final snapshot of each ended session for a termination callback to pick up, for");
            Example.Say("SessionOptions.TerminatedSessionRetention (1 day by default). This example registers no callback");
            Example.Say("(example 2 does), so those snapshots simply run out.");
        });
    }
    var final = await manager.GetStatsAsync();
    Example.Check(final.TotalActiveSessions == 0, "no session of this example is left");
});

static void PrintStats(SessionStats stats)
{
    Example.Say($"Active sessions: {stats.TotalActiveSessions}");
    Example.Say($"Users with a session: {stats.UniqueUsers}");
    Example.Say($"Ended sessions waiting for a termination callback: {stats.PendingTerminations}");
    Example.Say($"Sessions created by this program: {stats.SessionsCreatedByThisNode}");
    Example.Say($"Background cleanup running here: {(stats.AutoCleanupRunning ? "yes" : "no")}");
}

static string Describe(object? value) => value switch
{
    IReadOnlyDictionary<string, string> data => "{" + Example.Format(data) + "}",
    bool flag => flag ? "true" : "false",
    null => "null",
    _ => value.ToString() ?? string.Empty,
};
