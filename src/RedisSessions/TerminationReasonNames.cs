namespace RedisSessions;

/// <summary>The plain-text names of <see cref="TerminationReason"/> values as stored in Redis
/// (field <c>reason</c> of an ended session, and the termination stream).</summary>
public static class TerminationReasonNames
{
    /// <summary>The stored name of <paramref name="reason"/>, e.g. <c>expired</c>, <c>absolute_timeout</c>.</summary>
    public static string ToWire(TerminationReason reason) => reason switch
    {
        TerminationReason.Expired => "expired",
        TerminationReason.AbsoluteTimeout => "absolute_timeout",
        TerminationReason.Terminated => "terminated",
        TerminationReason.Evicted => "evicted",
        TerminationReason.Shutdown => "shutdown",
        TerminationReason.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown termination reason."),
    };

    /// <summary>Parses a stored name back; unknown names are reported as <see cref="TerminationReason.Terminated"/>.</summary>
    public static TerminationReason FromWire(string? name) => name switch
    {
        "expired" => TerminationReason.Expired,
        "absolute_timeout" => TerminationReason.AbsoluteTimeout,
        "terminated" => TerminationReason.Terminated,
        "evicted" => TerminationReason.Evicted,
        "shutdown" => TerminationReason.Shutdown,
        "admin" => TerminationReason.Admin,
        _ => TerminationReason.Terminated,
    };
}
