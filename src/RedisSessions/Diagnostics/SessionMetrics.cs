using System.Diagnostics.Metrics;

namespace RedisSessions.Diagnostics;

internal static class SessionMetrics
{
    private static readonly Meter Meter = new(SessionTelemetry.MeterName);

    public static readonly Counter<long> Created = Meter.CreateCounter<long>(SessionTelemetry.SessionsCreated, description: "Sessions created");
    public static readonly Counter<long> Terminated = Meter.CreateCounter<long>(SessionTelemetry.SessionsTerminated, description: "Terminations handled by this process");
    public static readonly Counter<long> Rejected = Meter.CreateCounter<long>(SessionTelemetry.SessionsRejected, description: "Logins refused by the session limit");
    public static readonly Counter<long> CallbackFailures = Meter.CreateCounter<long>(SessionTelemetry.CallbackFailures, description: "Termination callbacks that threw");
    public static readonly Counter<long> Lost = Meter.CreateCounter<long>(SessionTelemetry.SessionsLost, description: "Sessions whose data expired before any sweep could end them (no callback ran)");
    public static readonly Counter<long> LeasesTakenOver = Meter.CreateCounter<long>(SessionTelemetry.LeasesTakenOver, description: "Terminations this process held whose lease ran out and another process took over");
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(SessionTelemetry.OperationDuration, unit: "ms", description: "Duration of session operations");
}
