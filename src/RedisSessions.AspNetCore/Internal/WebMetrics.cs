using System.Diagnostics.Metrics;

namespace RedisSessions.AspNetCore.Internal;

/// <summary>The integration's instruments, on the RedisSessions meter.</summary>
internal static class WebMetrics
{
    private static readonly Meter Meter = new(SessionTelemetry.MeterName);

    public static readonly Counter<long> SignIns = Meter.CreateCounter<long>(AspNetCoreTelemetry.SignIns, description: "Sign-ins through the ticket store");
    public static readonly Counter<long> EndedSessionRequests = Meter.CreateCounter<long>(AspNetCoreTelemetry.EndedSessionRequests, description: "Requests whose cookie named an ended session");
    public static readonly Counter<long> RejectedCookies = Meter.CreateCounter<long>(AspNetCoreTelemetry.RejectedCookies, description: "Authentication cookies refused after unprotecting");
    public static readonly Counter<long> StoreUnavailable = Meter.CreateCounter<long>(AspNetCoreTelemetry.StoreUnavailable, description: "Requests that met an unreachable Redis");

    public static void SignIn(string outcome) => SignIns.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void Ended(TerminationReason? reason) =>
        EndedSessionRequests.Add(1, new KeyValuePair<string, object?>("reason", reason is { } r ? TerminationReasonNames.ToWire(r) : "unknown"));

    public static void Rejected(string cause) => RejectedCookies.Add(1, new KeyValuePair<string, object?>("cause", cause));

    public static void Unavailable(string operation) => StoreUnavailable.Add(1, new KeyValuePair<string, object?>("operation", operation));
}
