namespace RedisSessions.Tests.Infrastructure;

/// <summary>A clock the test moves by hand, so timeouts are crossed without waiting. It starts at the real time
/// (Redis TTLs stay sensible) and only moves forward.</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
