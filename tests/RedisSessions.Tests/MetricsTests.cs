using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class MetricsTests(StandaloneRedisFixture redis) : SessionTestBase(redis)
{
    [Fact]
    public async Task Creations_terminations_and_durations_are_published_on_the_RedisSessions_meter()
    {
        var prefix = NewPrefix();
        var measured = new ConcurrentQueue<(string Instrument, double Value, string? Tag)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SessionTelemetry.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measured.Enqueue((i.Name, v, Tag(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measured.Enqueue((i.Name, v, Tag(tags))));
        listener.Start();

        await using var manager = NewManager(prefix);
        using var _ = manager.RegisterTerminationCallback((_, _) => Task.CompletedTask);
        var session = await manager.CreateSessionAsync("metrics-user");
        await session.TerminateAsync();

        Assert.Contains(measured, m => m.Instrument == SessionTelemetry.SessionsCreated && m.Value == 1);
        Assert.Contains(measured, m => m.Instrument == SessionTelemetry.SessionsTerminated && m.Tag == "terminated");
        Assert.Contains(measured, m => m.Instrument == SessionTelemetry.OperationDuration && m.Tag == "create");
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            return tag.Value?.ToString();
        }
        return null;
    }
}
