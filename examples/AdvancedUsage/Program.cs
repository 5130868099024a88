// Example 2 — advanced usage: sessions that end by themselves after inactivity (auto cleanup) and the termination
// callbacks that run when any session ends; a limit on sessions per user (evicting the oldest, or refusing new
// logins); logging a user out everywhere; and a new session id after login.
//
// Run it:  RedisSessions__Configuration=localhost:6379 dotnet run --project examples/AdvancedUsage
using System.Diagnostics;
using RedisSessions;
using RedisSessions.Examples;

const string KeyPrefix = "example-advanced";
string[] users = ["alice", "bob", "carol", "dave", "erin"];

return await Example.RunAsync("Example 2: advanced usage", async redis =>
{
    // Prints every session that ends and lets the example check that it ended for the right reason.
    var watcher = new TerminationWatcher();
    try
    {
        await StartCleanAsync(redis, watcher);
        await AutoCleanupAndCallbacksAsync(redis, watcher);
        await EvictOldestAsync(redis, watcher);
        await RejectNewAsync(redis);
        await LogOutEverywhereAsync(redis, watcher);
        await RotateAfterLoginAsync(redis, watcher);
    }
    finally
    {
        await Example.CleanUpAsync(() => CleanUpAsync(redis, watcher));
    }
});

// Part 1: InactiveTimeout 2 s, EnableAutoCleanup on. An idle session ends by itself; a session in use does not.
async Task AutoCleanupAndCallbacksAsync(string redis, TerminationWatcher watcher)
{
    Example.Part("Part 1: idle sessions end by themselves, and termination callbacks run");
    Example.Step("Start a session manager whose sessions end after 2 s without activity, with the background cleanup on.");
    var options = new SessionOptions
    {
        KeyPrefix = KeyPrefix,
        InactiveTimeout = TimeSpan.FromSeconds(2),
        EnableAutoCleanup = true,
        // The cleanup looks for sessions whose time is up every second, and reacts at once when Redis reports that the
        // due key of a session's bucket expired (keyspace events, on in deploy/redis.conf), so the callback runs promptly.
        CleanupInterval = TimeSpan.FromSeconds(1),
    };
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    Example.Check(manager.AutoCleanupRunning, "the background cleanup is running");

    Example.Step("Register a termination callback: it runs once for every session that ends, with the reason and the final data.");
    using var registration = manager.RegisterTerminationCallback(watcher.OnTerminatedAsync);

    Example.Step("\"alice\" opens two sessions: she will leave the first one idle and keep using the second.");
    var idle = await manager.CreateSessionAsync("alice", new Dictionary<string, string> { ["cart"] = "3 items", ["page"] = "/checkout" });
    var busy = await manager.CreateSessionAsync("alice", new Dictionary<string, string> { ["page"] = "/home" });
    Example.Say($"Idle session: {idle.SessionId}");
    Example.Say($"Busy session: {busy.SessionId}");

    Example.Step("Use the busy session every 0.5 s and wait for the idle one to end on its own (at most 10 s).");
    var clock = Stopwatch.StartNew();
    var idleEnded = watcher.Ended(idle.SessionId);
    while (!idleEnded.IsCompleted)
    {
        if (clock.Elapsed > TimeSpan.FromSeconds(10))
        {
            throw new ExampleFailedException("expected the idle session to end by itself within 10 s, but its callback never ran.");
        }
        if (!await busy.UpdateActivityAsync())
        {
            throw new ExampleFailedException("expected the busy session to stay alive while in use, but it ended.");
        }
        await Task.WhenAny(idleEnded, Task.Delay(500));
    }
    var expired = await idleEnded;
    Example.Say($"The idle session ended {Example.Format(expired.TerminatedAt - idle.LastActivity)} after its last activity, and the program never asked for it.");
    Example.Check(expired.Reason == TerminationReason.Expired, "the callback was told the reason: Expired");
    Example.Check(expired.Session.GetData("cart") == "3 items", "the callback received the session's final data (cart=3 items)");
    Example.Check(watcher.Calls(idle.SessionId) == 1, "the callback ran exactly once for it");
    Example.Check(await manager.GetSessionAsync(idle.SessionId) is null, "the idle session can't be loaded any more");
    Example.Check(await manager.GetSessionAsync(busy.SessionId) is not null && watcher.Calls(busy.SessionId) == 0,
        $"the busy session, in use all along, is still alive {clock.Elapsed.TotalSeconds:0.0} s after its creation");

    Example.Step("\"alice\" logs out of the busy session: end it explicitly.");
    await busy.TerminateAsync();
    var loggedOut = watcher.Received(busy.SessionId);
    Example.Check(loggedOut?.Reason == TerminationReason.Terminated,
        "the callback had already run, with reason Terminated, when TerminateAsync returned");
}

// Part 2: MaxSessionsPerUser 3, LimitPolicy EvictOldest (the default).
async Task EvictOldestAsync(string redis, TerminationWatcher watcher)
{
    Example.Part("Part 2: at most 3 sessions per user; a new login pushes out the oldest");
    Example.Step("Start a session manager that allows 3 sessions per user and evicts the oldest one to make room.");
    await using var manager = await SessionManager.ConnectAsync(redis, new SessionOptions
    {
        KeyPrefix = KeyPrefix,
        MaxSessionsPerUser = 3,
        LimitPolicy = SessionLimitPolicy.EvictOldest,
        EnableAutoCleanup = false, // part 1 showed it; here every session ends explicitly
    });
    using var registration = manager.RegisterTerminationCallback(watcher.OnTerminatedAsync);

    Example.Step("\"bob\" logs in on his laptop, his phone and his tablet.");
    // One after the other: the example waits for the clock to tick between logins so their age order is defined
    // (see Example.WaitUntilAfterAsync).
    var laptop = await manager.CreateSessionAsync("bob", new Dictionary<string, string> { ["device"] = "laptop" });
    await Example.WaitUntilAfterAsync(laptop.CreatedAt);
    var phone = await manager.CreateSessionAsync("bob", new Dictionary<string, string> { ["device"] = "phone" });
    await Example.WaitUntilAfterAsync(phone.CreatedAt);
    var tablet = await manager.CreateSessionAsync("bob", new Dictionary<string, string> { ["device"] = "tablet" });
    Example.Check((await manager.GetUserSessionsAsync("bob")).Count == 3, "bob has 3 sessions");

    Example.Step("\"bob\" logs in on a fourth device, his desktop.");
    await Example.WaitUntilAfterAsync(tablet.CreatedAt);
    var desktop = await manager.CreateSessionAsync("bob", new Dictionary<string, string> { ["device"] = "desktop" });
    var evicted = watcher.Received(laptop.SessionId);
    Example.Check(evicted?.Reason == TerminationReason.Evicted,
        "the oldest session (the laptop's) was ended with reason Evicted, its callback done before CreateSessionAsync returned");
    Example.Check(await manager.GetSessionAsync(laptop.SessionId) is null, "the laptop's session id no longer loads a session");
    var left = await manager.GetUserSessionsAsync("bob");
    Example.Say($"bob's sessions now: {string.Join(", ", left.Select(s => s.GetData("device")))}");
    Example.Check(left.Select(s => s.SessionId).SequenceEqual([phone.SessionId, tablet.SessionId, desktop.SessionId]),
        "bob still has 3 sessions: phone, tablet and desktop");
}

// Part 3: MaxSessionsPerUser 1, LimitPolicy RejectNew.
async Task RejectNewAsync(string redis)
{
    Example.Part("Part 3: one session per user; a second login is refused");
    Example.Step("Start a session manager that allows 1 session per user and refuses new ones beyond it.");
    await using var manager = await SessionManager.ConnectAsync(redis, new SessionOptions
    {
        KeyPrefix = KeyPrefix,
        MaxSessionsPerUser = 1,
        LimitPolicy = SessionLimitPolicy.RejectNew,
        EnableAutoCleanup = false,
    });

    Example.Step("\"carol\" logs in at the office.");
    var office = await manager.CreateSessionAsync("carol", new Dictionary<string, string> { ["location"] = "office" });
    Example.Say($"Session {office.SessionId} created.");

    Example.Step("\"carol\" tries to log in again from home while that session is active.");
    SessionLimitExceededException? refused = null;
    try
    {
        await manager.CreateSessionAsync("carol", new Dictionary<string, string> { ["location"] = "home" });
    }
    catch (SessionLimitExceededException ex)
    {
        refused = ex;
        Example.Say($"Refused with SessionLimitExceededException: {ex.Message}");
    }
    Example.Check(refused is not null, "the second login was refused: a session is already active");
    Example.Check(await manager.GetSessionAsync(office.SessionId) is not null && (await manager.GetUserSessionsAsync("carol")).Count == 1,
        "carol's office session is untouched and still her only one");
}

// Part 4: TerminateUserSessionsAsync, with and without keeping the current session.
async Task LogOutEverywhereAsync(string redis, TerminationWatcher watcher)
{
    Example.Part("Part 4: log a user out of other devices, then everywhere");
    await using var manager = await SessionManager.ConnectAsync(redis, new SessionOptions { KeyPrefix = KeyPrefix, EnableAutoCleanup = false });
    using var registration = manager.RegisterTerminationCallback(watcher.OnTerminatedAsync);

    Example.Step("\"dave\" has sessions on 3 devices.");
    var sessions = new List<Session>();
    foreach (var device in new[] { "laptop", "phone", "tablet" })
    {
        sessions.Add(await manager.CreateSessionAsync("dave", new Dictionary<string, string> { ["device"] = device }));
    }

    Example.Step("On his laptop, dave clicks \"log out of all other devices\".");
    var current = sessions[0];
    var others = await manager.TerminateUserSessionsAsync("dave", TerminationReason.Terminated, exceptSessionId: current.SessionId);
    Example.Check(others == 2 && sessions.Skip(1).All(s => watcher.Received(s.SessionId)?.Reason == TerminationReason.Terminated),
        "the phone and tablet sessions ended, each with its callback");
    Example.Check((await manager.GetUserSessionsAsync("dave")).Select(s => s.SessionId).SequenceEqual([current.SessionId]),
        "the laptop session, the one he is using, is kept");

    Example.Step("Then an administrator logs dave out everywhere.");
    var all = await manager.TerminateUserSessionsAsync("dave");
    Example.Check(all == 1 && watcher.Received(current.SessionId) is not null, "the last session ended too, with its callback");
    Example.Check((await manager.GetUserSessionsAsync("dave")).Count == 0, "dave has no session left");
}

// Part 5: RotateSessionIdAsync after login.
async Task RotateAfterLoginAsync(string redis, TerminationWatcher watcher)
{
    Example.Part("Part 5: a new session id after login");
    await using var manager = await SessionManager.ConnectAsync(redis, new SessionOptions { KeyPrefix = KeyPrefix, EnableAutoCleanup = false });
    using var registration = manager.RegisterTerminationCallback(watcher.OnTerminatedAsync);

    Example.Step("\"erin\" browses the shop and fills her cart before confirming her password.");
    var before = await manager.CreateSessionAsync("erin", new Dictionary<string, string> { ["cart"] = "2 items", ["verified"] = "no" });
    Example.Say($"Session id before login: {before.SessionId}");

    Example.Step("She logs in: give the session a new id, so an id someone planted or saw before login is worthless.");
    var after = await manager.RotateSessionIdAsync(before.SessionId);
    await after.SetDataAsync("verified", "yes");
    Example.Say($"Session id after login:  {after.SessionId}");
    Example.Check(after.SessionId != before.SessionId, "the id changed");
    Example.Check(await manager.GetSessionAsync(before.SessionId) is null, "the old id no longer loads anything");
    var loaded = await manager.GetSessionAsync(after.SessionId);
    Example.Check(loaded?.GetData("cart") == "2 items" && loaded.GetData("verified") == "yes" && loaded.CreatedAt == before.CreatedAt,
        "the new id carries the same session: her cart, her user, its creation time");
    Example.Check(watcher.Calls(before.SessionId) == 0 && watcher.Calls(after.SessionId) == 0,
        "no termination callback ran: a new id is not the end of the session");
}

// An earlier run that was interrupted may have left sessions behind; end them so the checks see only this run's.
async Task StartCleanAsync(string redis, TerminationWatcher watcher)
{
    await using var manager = await SessionManager.ConnectAsync(redis, new SessionOptions { KeyPrefix = KeyPrefix, EnableAutoCleanup = false });
    using var registration = manager.RegisterTerminationCallback(watcher.OnTerminatedAsync);
    var ended = 0;
    foreach (var user in users)
    {
        ended += await manager.TerminateUserSessionsAsync(user);
    }
    if (ended > 0)
    {
        Example.Say($"(ended {ended} session(s) an earlier run left behind)");
    }
}

async Task CleanUpAsync(string redis, TerminationWatcher watcher)
{
    Example.Part("Clean up");
    Example.Step("End every session of this example still open.");
    await using var manager = await SessionManager.ConnectAsync(redis, new SessionOptions { KeyPrefix = KeyPrefix, EnableAutoCleanup = false });
    using var registration = manager.RegisterTerminationCallback(watcher.OnTerminatedAsync);
    var ended = 0;
    foreach (var user in users)
    {
        ended += await manager.TerminateUserSessionsAsync(user);
    }
    Example.Say($"Ended {ended} session(s).");
}
