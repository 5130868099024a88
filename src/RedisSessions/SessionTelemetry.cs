namespace RedisSessions;

/// <summary>Names of the <see cref="System.Diagnostics.Metrics.Meter"/> and instruments RedisSessions publishes, for
/// OpenTelemetry (<c>AddMeter(SessionTelemetry.MeterName)</c>) or <c>dotnet-counters</c>.</summary>
public static class SessionTelemetry
{
    /// <summary>The meter: <c>RedisSessions</c>.</summary>
    public const string MeterName = "RedisSessions";

    /// <summary>Counter of sessions created.</summary>
    public const string SessionsCreated = "redissessions.sessions.created";

    /// <summary>Counter of terminations whose callbacks ran here, tagged <c>reason</c>.</summary>
    public const string SessionsTerminated = "redissessions.sessions.terminated";

    /// <summary>Counter of logins refused by <see cref="SessionLimitPolicy.RejectNew"/>.</summary>
    public const string SessionsRejected = "redissessions.sessions.rejected";

    /// <summary>Histogram of operation durations in milliseconds, tagged <c>operation</c>.</summary>
    public const string OperationDuration = "redissessions.operation.duration";

    /// <summary>Counter of sessions that ran out more than <see cref="SessionOptions.ExpiredSessionGrace"/> before any
    /// sweep reached them: their data was gone, and no callback ran for them.</summary>
    public const string SessionsLost = "redissessions.sessions.lost";

    /// <summary>Counter of terminations this process held whose lease ran out before it was done (it was frozen or cut
    /// off), so another process took them over.</summary>
    public const string LeasesTakenOver = "redissessions.leases.taken_over";

    /// <summary>Counter of termination callbacks that threw.</summary>
    public const string CallbackFailures = "redissessions.callbacks.failed";
}
