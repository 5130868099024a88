namespace RedisSessions.Cli.Tests.Infrastructure;

/// <summary>The real clock moved by a fixed amount: a manager on it writes sessions that look created (and last used)
/// that long ago, so the CLI, on the real clock, sees idle or overdue sessions without any test waiting.</summary>
public sealed class ShiftedClock(TimeSpan shift) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + shift;
}
