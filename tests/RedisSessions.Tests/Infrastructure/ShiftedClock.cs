namespace RedisSessions.Tests.Infrastructure;

/// <summary>An app node's wall clock that is off by a fixed amount (a node whose NTP failed).</summary>
public sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}
