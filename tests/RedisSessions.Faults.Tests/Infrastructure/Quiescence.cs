namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>Waiting until a store has nothing left to do.</summary>
public static class Quiescence
{
    /// <summary>Waits until no session of <paramref name="manager"/>'s prefix is live or overdue and no termination
    /// waits for a handler (every callback has run and been acknowledged), as the manager's figures say. Calls that
    /// fail while Redis is away are retried.</summary>
    public static Task WaitAsync(SessionManager manager, TimeSpan timeout, string what = "every session has ended and every termination was handled")
    {
        SessionStats? last = null;
        return Eventually.TrueAsync(async () =>
        {
            try
            {
                last = await manager.GetStatsAsync();
                return last.TotalActiveSessions == 0 && last.OverdueSessions == 0 && last.PendingTerminations == 0;
            }
            catch (SessionStoreUnavailableException)
            {
                return false;
            }
        }, what, timeout, () => last is null ? "no figures read" : $"live {last.TotalActiveSessions}, overdue {last.OverdueSessions}, pending {last.PendingTerminations}");
    }
}
