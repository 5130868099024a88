namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>How the load runs: <paramref name="Workers"/> loops, each starting a session lifecycle every
/// <paramref name="Interval"/> (login with data, read, then <paramref name="Writes"/> times a write of both data keys
/// and a read, and every <paramref name="LogoutEvery"/>th session a logout; the others are left to expire). A call
/// that has not returned after <paramref name="HangLimit"/> is recorded as hung.</summary>
public sealed record LoadShape(int Workers = 4, TimeSpan? Interval = null, int LogoutEvery = 2, int Writes = 1, string UserPrefix = "u", TimeSpan? HangLimit = null)
{
    public TimeSpan Pace => Interval ?? TimeSpan.FromMilliseconds(50);

    public TimeSpan Hang => HangLimit ?? TimeSpan.FromSeconds(30);
}

/// <summary>Logins, reads, writes and logouts from several workers over one or more managers, every call and its
/// outcome written to a <see cref="SessionLedger"/>. Calls are never cancelled half way: stopping lets the lifecycle
/// in progress finish, so every failed call is a failure Redis caused.</summary>
public sealed class LoadGenerator(SessionLedger ledger, LoadShape shape, params (string Name, SessionManager Manager)[] managers)
{
    private int _next;

    /// <summary>Runs until <paramref name="stop"/>; the task ends when every worker has finished its lifecycle.</summary>
    public Task RunAsync(CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, shape.Workers).Select(_ => Task.Run(() => WorkAsync(stop), CancellationToken.None)));

    private async Task WorkAsync(CancellationToken stop)
    {
        using var pace = new PeriodicTimer(shape.Pace);
        while (!stop.IsCancellationRequested)
        {
            var n = Interlocked.Increment(ref _next);
            var (name, manager) = managers[n % managers.Length];
            var user = shape.UserPrefix + n;
            await LifecycleAsync(n, user, name, manager);
            try
            {
                await pace.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task LifecycleAsync(int n, string user, string name, SessionManager manager)
    {
        var entry = await LoginAsync(name, manager, user);
        if (entry is null)
        {
            return;
        }
        if (!await ReadAsync(manager, entry!))
        {
            return;
        }
        for (var version = 1; version <= shape.Writes; version++)
        {
            if (!await WriteAsync(manager, entry!, version) || !await ReadAsync(manager, entry!))
            {
                return;
            }
        }
        if (n % shape.LogoutEvery == 0)
        {
            await LogoutAsync(manager, entry!);
        }
    }

    /// <summary>A login of <paramref name="user"/> through manager <paramref name="name"/>, recorded like the load's own.
    /// Null when it failed.</summary>
    public Task<SessionLedger.Entry?> LoginAsync(string name, string user) => LoginAsync(name, managers.First(m => m.Name == name).Manager, user);

    private async Task<SessionLedger.Entry?> LoginAsync(string name, SessionManager manager, string user)
    {
        SessionLedger.Entry? entry = null;
        if (!await CallAsync("create", () => entry?.SessionId, async () =>
        {
            var session = await manager.CreateSessionAsync(user, SessionLedger.Data(0, user));
            entry = ledger.Created(session.SessionId, user, name);
        }))
        {
            ledger.CreateUnsure(user);
        }
        return entry;
    }

    /// <summary>A read of <paramref name="entry"/> through the manager that created it, recorded like the load's own.</summary>
    public Task<bool> ReadAsync(SessionLedger.Entry entry) => ReadAsync(ManagerOf(entry), entry);

    /// <summary>A write of version <paramref name="version"/>, recorded like the load's own.</summary>
    public Task<bool> WriteAsync(SessionLedger.Entry entry, int version) => WriteAsync(ManagerOf(entry), entry, version);

    /// <summary>A logout, recorded like the load's own.</summary>
    public Task LogoutAsync(SessionLedger.Entry entry) => LogoutAsync(ManagerOf(entry), entry);

    private SessionManager ManagerOf(SessionLedger.Entry entry) => managers.First(m => m.Name == entry.Manager).Manager;

    private async Task LogoutAsync(SessionManager manager, SessionLedger.Entry entry)
    {
        var started = ledger.NowMs;
        bool? ended = null;
        if (await CallAsync("logout", () => entry.SessionId, async () => ended = await manager.TerminateSessionAsync(entry.SessionId)))
        {
            if (ended == true)
            {
                entry.LoggedOut(ledger.NowMs, ledger.RedisNowMs);
            }
        }
        else
        {
            entry.LogoutUnsure(started);
        }
    }

    private async Task<bool> ReadAsync(SessionManager manager, SessionLedger.Entry entry)
    {
        Session? read = null;
        if (!await CallAsync("read", () => entry.SessionId, async () => read = await manager.GetSessionAsync(entry.SessionId)))
        {
            return true; // a failed read changes nothing
        }
        if (read is null)
        {
            return false; // ended meanwhile (expired after a long outage, or lost with a failover): the accounting says which
        }
        var version = SessionLedger.VersionOf(read.Data);
        if (version < 0)
        {
            ledger.Anomaly($"read {entry.SessionId}: data half-written (a={read.GetData("a")}, b={read.GetData("b")})");
        }
        else if (version < entry.AckedVersion)
        {
            ledger.Anomaly($"read {entry.SessionId}: version {version} after version {entry.AckedVersion} was acknowledged");
        }
        return true;
    }

    private async Task<bool> WriteAsync(SessionManager manager, SessionLedger.Entry entry, int version)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = SessionLedger.Version(version), ["b"] = SessionLedger.Version(version) };
        var applied = false;
        if (!await CallAsync("write", () => entry.SessionId, async () => applied = await manager.SetSessionDataAsync(entry.SessionId, values)))
        {
            entry.Unsure(version);
            return true;
        }
        if (applied)
        {
            entry.Acked(version, ledger.NowMs);
        }
        return applied;
    }

    /// <summary>Runs one call, recording when it started and returned and how it ended. False when it failed.</summary>
    private async Task<bool> CallAsync(string kind, Func<string?> id, Func<Task> call)
    {
        var started = ledger.NowMs;
        var running = call();
        try
        {
            await running.WaitAsync(shape.Hang);
            ledger.Record(new SessionLedger.Operation(kind, started, ledger.NowMs, "ok", null, id()));
            return true;
        }
        catch (TimeoutException) when (!running.IsCompleted)
        {
            ledger.Record(new SessionLedger.Operation(kind, started, ledger.NowMs, "hung", null, id()));
            return false;
        }
        catch (SessionStoreUnavailableException ex)
        {
            ledger.Record(new SessionLedger.Operation(kind, started, ledger.NowMs, "unavailable", ex.Message, id()));
            return false;
        }
#pragma warning disable CA1031 // Every other failure is recorded, and the test fails on it with its message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ledger.Record(new SessionLedger.Operation(kind, started, ledger.NowMs, "error:" + ex.GetType().Name, ex.ToString(), id()));
            return false;
        }
    }
}
