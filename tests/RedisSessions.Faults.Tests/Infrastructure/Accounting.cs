using System.Globalization;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// Compares what the application was told (<see cref="SessionLedger"/>) with what the callbacks received
/// (<see cref="TerminationLog"/>) once every session has ended and been handled. Each session acknowledged at login
/// must reach exactly one callback, with the reason and data the application last had acknowledged. What differs is
/// either explained by the fault — something Redis acknowledged before <c>explainedUpToMs</c> that asynchronous
/// replication did not carry to the promoted replica — or unexplained, which the tests require to be none.
/// </summary>
public sealed class Accounting
{
    /// <summary>How far the tests' estimate of Redis's clock may be off (ms).</summary>
    private const long ClockSlackMs = 100;

    private readonly List<string> _explained = [];
    private readonly List<string> _unexplained = [];

    private Accounting()
    {
    }

    public int Created { get; private set; }

    public int CreatesFailed { get; private set; }

    /// <summary>Failed logins whose session exists all the same (a callback came for their user).</summary>
    public int CreatesFailedButApplied { get; private set; }

    public int WritesAcked { get; private set; }

    public int WritesFailed { get; private set; }

    public int LogoutsAcked { get; private set; }

    public int LogoutsFailed { get; private set; }

    public int Operations { get; private set; }

    public int OperationsFailed { get; private set; }

    /// <summary>Callbacks run with <see cref="SessionTermination.Attempt"/> above 1: a claim whose lease ran out first
    /// (its holder died, froze, or never learned it had claimed it because the answer was lost).</summary>
    public int LaterAttempts { get; private set; }

    /// <summary>Sessions whose callback ran (at least once).</summary>
    public int Delivered { get; private set; }

    /// <summary>Sessions acknowledged at login that never reached a callback.</summary>
    public int Lost { get; private set; }

    /// <summary>Sessions whose callback ran more than once.</summary>
    public int Duplicated { get; private set; }

    /// <summary>Acknowledged logouts that did not stick (the session came back and later expired).</summary>
    public int LogoutsLost { get; private set; }

    /// <summary>Logouts acknowledged after the session's time was up: they end it as expired, rightly.</summary>
    public int LogoutsOfExpiredSessions { get; private set; }

    /// <summary>Acknowledged data writes missing from the final snapshot.</summary>
    public int WritesLost { get; private set; }

    public IReadOnlyList<string> Explained => _explained;

    public IReadOnlyList<string> Unexplained => _unexplained;

    /// <param name="explainedUpToMs">Acknowledgements up to this time (the kill of a primary) may have been lost by
    /// asynchronous replication; <see cref="long.MinValue"/> when nothing may be lost.</param>
    /// <param name="duplicatesExplainedUpToMs">A callback run again is explained when its first run started before
    /// this time (its acknowledgement went to the dead primary, or could not be made before the lease ran out);
    /// <see cref="long.MinValue"/> when no callback may run twice.</param>
    public static Accounting Of(SessionLedger ledger, TerminationLog log, long explainedUpToMs = long.MinValue, long duplicatesExplainedUpToMs = long.MinValue)
    {
        var a = new Accounting();
        var operations = ledger.Operations;
        a.Operations = operations.Count;
        a.OperationsFailed = operations.Count(o => !o.Succeeded);
        a.WritesAcked = operations.Count(o => o.Kind == "write" && o.Succeeded);
        a.WritesFailed = operations.Count(o => o.Kind == "write" && !o.Succeeded);
        a.LogoutsFailed = operations.Count(o => o.Kind == "logout" && !o.Succeeded);
        a.CreatesFailed = ledger.UnsureCreates.Count;
        a.LaterAttempts = log.All.Count(d => d.Attempt > 1);
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in ledger.Sessions)
        {
            known.Add(entry.SessionId);
            a.Created++;
            if (entry.LogoutAckedAtMs is not null)
            {
                a.LogoutsAcked++;
            }
            a.Check(entry, log.For(entry.SessionId), explainedUpToMs, duplicatesExplainedUpToMs);
        }
        foreach (var sessionId in log.Sessions.Where(s => !known.Contains(s)))
        {
            var deliveries = log.For(sessionId);
            if (ledger.UnsureCreates.ContainsKey(deliveries[0].UserId))
            {
                a.CreatesFailedButApplied++;
                var data = deliveries[^1].Data;
                if (SessionLedger.VersionOf(data) != 0 || data.GetValueOrDefault("user") != deliveries[0].UserId)
                {
                    a._unexplained.Add($"{sessionId} (a failed login applied all the same): its data is not the login's whole data");
                }
                if (deliveries.Count > 1)
                {
                    a.Duplicated++;
                    a.Note(deliveries[0].AtMs <= duplicatesExplainedUpToMs, $"{sessionId} (a failed login applied all the same): callback ran {deliveries.Count} times");
                }
            }
            else
            {
                a._unexplained.Add($"{sessionId}: a callback for a session nobody created (user {deliveries[0].UserId})");
            }
        }
        return a;
    }

    private void Check(SessionLedger.Entry entry, IReadOnlyList<Delivery> deliveries, long explainedUpToMs, long duplicatesExplainedUpToMs)
    {
        var id = entry.SessionId;
        if (deliveries.Count == 0)
        {
            Lost++;
            Note(entry.CreatedAtMs <= explainedUpToMs, Invariant($"{id}: login acknowledged at {entry.CreatedAtMs} ms, never reached a callback"));
            return;
        }
        Delivered++;
        if (deliveries.Count > 1)
        {
            Duplicated++;
            Note(deliveries[0].AtMs <= duplicatesExplainedUpToMs,
                Invariant($"{id}: callback ran {deliveries.Count} times ({string.Join(", ", deliveries.Select(d => $"{d.Reason} attempt {d.Attempt} at {d.AtMs} ms by {d.Handler}"))})"));
        }
        var last = deliveries[^1];
        if (entry.LogoutAckedAtMs is { } loggedOut && deliveries.All(d => d.Reason != TerminationReason.Terminated))
        {
            if (entry.LogoutAckedRedisMs > 0 && last.ExpiresMs <= entry.LogoutAckedRedisMs + ClockSlackMs)
            {
                // A logout that comes after the session's time was up ends it as expired (end_session.lua): its
                // last activity was before the fault, and the fault outlasted the inactivity timeout.
                LogoutsOfExpiredSessions++;
            }
            else
            {
                LogoutsLost++;
                Note(loggedOut <= explainedUpToMs, Invariant($"{id}: logout acknowledged at {loggedOut} ms, but the session ended as {last.Reason}"));
            }
        }
        if (entry.LogoutAckedAtMs is null && entry.LogoutUnsureAtMs is null && deliveries.Any(d => d.Reason == TerminationReason.Terminated))
        {
            _unexplained.Add($"{id}: ended as terminated without any logout");
        }
        var version = SessionLedger.VersionOf(last.Data);
        if (version < 0)
        {
            _unexplained.Add($"{id}: final data half-written (a={last.Data.GetValueOrDefault("a")}, b={last.Data.GetValueOrDefault("b")})");
        }
        else if (version < entry.AckedVersion)
        {
            WritesLost++;
            Note(entry.AckedVersionAtMs <= explainedUpToMs, Invariant($"{id}: final data version {version}, but version {entry.AckedVersion} was acknowledged at {entry.AckedVersionAtMs} ms"));
        }
        else if (!entry.MayShow(version))
        {
            _unexplained.Add(Invariant($"{id}: final data version {version}, never written (acknowledged {entry.AckedVersion}, failed {string.Join(",", entry.UnsureVersions)})"));
        }
    }

    private void Note(bool explained, string what) => (explained ? _explained : _unexplained).Add(what);

    /// <summary>Adds the counts to <paramref name="figures"/>.</summary>
    public void Report(Figures figures)
    {
        figures.Add("sessions", Created);
        figures.Add("operations", Operations);
        figures.Add("operations_failed", OperationsFailed);
        figures.Add("logins_failed", CreatesFailed);
        figures.Add("logins_failed_but_applied", CreatesFailedButApplied);
        figures.Add("writes_acknowledged", WritesAcked);
        figures.Add("logouts_acknowledged", LogoutsAcked);
        figures.Add("terminations", Delivered + CreatesFailedButApplied);
        figures.Add("lost", Lost);
        figures.Add("duplicated", Duplicated);
        figures.Add("callbacks_on_a_later_attempt", LaterAttempts);
        figures.Add("logouts_lost", LogoutsLost);
        figures.Add("logouts_after_expiry", LogoutsOfExpiredSessions);
        figures.Add("writes_lost", WritesLost);
        figures.Add("explained_by_async_replication", _explained.Count);
        figures.Add("unexplained", _unexplained.Count);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
