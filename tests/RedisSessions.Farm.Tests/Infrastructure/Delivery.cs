using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>What the listeners' callback files say about a set of sessions.</summary>
public sealed class Delivery
{
    private Delivery(IReadOnlyDictionary<string, DateTimeOffset> expected, IReadOnlyList<CallbackRecord> records)
    {
        Expected = expected;
        Records = records;
        BySession = records.GroupBy(r => r.SessionId).ToDictionary(g => g.Key, g => g.ToList());
        Missing = expected.Keys.Where(id => !BySession.ContainsKey(id)).ToList();
        Duplicated = BySession.Where(g => g.Value.Count > 1).Select(g => g.Key).ToList();
        Unexpected = BySession.Keys.Where(id => !expected.ContainsKey(id)).ToList();
    }

    public IReadOnlyDictionary<string, DateTimeOffset> Expected { get; }

    public IReadOnlyList<CallbackRecord> Records { get; }

    public IReadOnlyDictionary<string, List<CallbackRecord>> BySession { get; }

    public IReadOnlyList<string> Missing { get; }

    public IReadOnlyList<string> Duplicated { get; }

    public IReadOnlyList<string> Unexpected { get; }

    public static Delivery Of(IReadOnlyDictionary<string, DateTimeOffset> expected, IEnumerable<string> files) =>
        new(expected, CallbackRecord.ReadAll(files));

    /// <summary>Every expected session's callbacks ran once in the whole farm: none missing, none twice, nothing else.</summary>
    public void AssertExactlyOnce(ITestOutputHelper output)
    {
        output.WriteLine($"callback runs: {Records.Count}, distinct sessions: {BySession.Count}, missing: {Missing.Count}, duplicated: {Duplicated.Count}, unexpected: {Unexpected.Count}");
        foreach (var group in Records.GroupBy(r => r.Listener).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {group.Key}: {group.Count()} runs");
        }
        Assert.True(Missing.Count == 0, $"{Missing.Count} session(s) never reached a callback, e.g. {string.Join(", ", Missing.Take(5))}");
        Assert.True(Duplicated.Count == 0, $"{Duplicated.Count} session(s) reached callbacks more than once, e.g. " +
            string.Join("; ", Duplicated.Take(3).Select(id => string.Join(" / ", BySession[id].Select(r => $"{r.Listener} attempt {r.Attempt}")))));
        Assert.Empty(Unexpected);
        Assert.Equal(Expected.Count, Records.Count);
    }

    /// <summary>Percentile of the time from each session's deadline to its callback.</summary>
    public long LatencyPercentile(double percentile)
    {
        var sorted = Records.Select(r => r.LatencyMs).Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)];
    }
}
