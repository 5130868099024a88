using System.Globalization;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>
/// Walks every session through the 1,024 per-bucket expiry indexes, a page of <see cref="PageSize"/> at a time, with a
/// few buckets in flight at once: never KEYS, never a SCAN of the keyspace. Each page is one script call that returns
/// the sessions' summary fields (not their data). The walk is not a snapshot: a session created or ended while it runs
/// may or may not be seen; none is reported twice.
/// </summary>
internal sealed class SessionWalker
{
    public const int PageSize = 500;
    private const int BucketsInFlight = 16;
    private readonly CliContext _context;

    public SessionWalker(CliContext context) => _context = context;

    /// <summary>Every entry of every expiry index for which <paramref name="keep"/> holds, in bucket order.</summary>
    public async Task<List<IndexEntry>> WalkAsync(Func<IndexEntry, bool> keep, CancellationToken cancellationToken)
    {
        var perBucket = new List<IndexEntry>[SessionKeys.BucketCount];
        var done = 0;
        long seen = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, SessionKeys.BucketCount),
            new ParallelOptions { MaxDegreeOfParallelism = BucketsInFlight, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                var kept = await WalkBucketAsync(SessionKeys.BucketName(bucket), keep, count => Interlocked.Add(ref seen, count), ct);
                perBucket[bucket] = kept;
                var finished = Interlocked.Increment(ref done);
                _context.Progress.Report($"walking the session indexes: bucket {finished}/{SessionKeys.BucketCount}, {Text.Count(Interlocked.Read(ref seen))} entries");
            });
        _context.Progress.Clear();
        return perBucket.SelectMany(b => b).ToList();
    }

    private async Task<List<IndexEntry>> WalkBucketAsync(string bucket, Func<IndexEntry, bool> keep, Action<int> onPage, CancellationToken cancellationToken)
    {
        var kept = new List<IndexEntry>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var key = _context.Keys.Expiry(bucket);
        for (var first = 0; ; first += PageSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await _context.Db.ScriptEvaluateAsync(CliScripts.WalkExpiryIndex, [key], [first, PageSize]);
            var items = (RedisResult[])result!;
            var stride = 2 + CliScripts.WalkFields.Length;
            for (var i = 0; i + stride <= items.Length; i += stride)
            {
                var entry = Read(bucket, items, i);
                if (ids.Add(entry.SessionId) && keep(entry))
                {
                    kept.Add(entry);
                }
            }
            onPage(items.Length / stride);
            if (items.Length < PageSize * stride)
            {
                return kept;
            }
        }
    }

    private static IndexEntry Read(string bucket, RedisResult[] items, int at)
    {
        var user = (string?)items[at + 2];
        return new IndexEntry(
            bucket,
            (string)items[at]!,
            Long((string?)items[at + 1]),
            user,
            (string?)items[at + 3] ?? string.Empty,
            Long((string?)items[at + 4]),
            Long((string?)items[at + 5]),
            Long((string?)items[at + 6]),
            Long((string?)items[at + 7]),
            items[at + 8].IsNull ? null : Long((string?)items[at + 8]));
    }

    internal static long Long(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)d : 0;
}
