using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Inspection;

/// <summary>
/// Walks every session through the 1,024 per-bucket users hashes (HSCAN, about <see cref="PageSize"/> users per page),
/// with a few buckets in flight at once: never KEYS, never a SCAN of the keyspace. Each page is one script call that
/// returns the listed sessions' summary fields (not their data). The walk is not a snapshot: a session created or
/// ended while it runs may or may not be seen; none is reported twice.
/// </summary>
internal sealed class SessionWalker
{
    public const int PageSize = 200;
    private const int BucketsInFlight = 16;
    private readonly CliContext _context;

    public SessionWalker(CliContext context) => _context = context;

    /// <summary>Every session id listed in every users hash for which <paramref name="keep"/> holds, in bucket order.</summary>
    public async Task<List<IndexEntry>> WalkAsync(Func<IndexEntry, bool> keep, CancellationToken cancellationToken)
    {
        var nodes = await _context.NodesAsync();
        var perBucket = new List<IndexEntry>[SessionKeys.BucketCount];
        var done = 0;
        long seen = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, SessionKeys.BucketCount),
            new ParallelOptions { MaxDegreeOfParallelism = BucketsInFlight, CancellationToken = cancellationToken },
            async (bucket, ct) =>
            {
                var kept = await WalkBucketAsync(SessionKeys.BucketName(bucket), nodes, keep, count => Interlocked.Add(ref seen, count), ct);
                perBucket[bucket] = kept;
                var finished = Interlocked.Increment(ref done);
                _context.Progress.Report($"walking the session indexes: bucket {finished}/{SessionKeys.BucketCount}, {Text.Count(Interlocked.Read(ref seen))} entries");
            });
        _context.Progress.Clear();
        return perBucket.SelectMany(b => b).ToList();
    }

    private async Task<List<IndexEntry>> WalkBucketAsync(string bucket, NodeDirectory nodes, Func<IndexEntry, bool> keep, Action<int> onPage, CancellationToken cancellationToken)
    {
        var kept = new List<IndexEntry>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var key = _context.Keys.Users(bucket);
        var stride = 2 + CliScripts.WalkFields.Length;
        var cursor = "0";
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            var items = (RedisResult[])(await CliScripts.WalkUsers.EvaluateAsync(_context.Db, [key], [cursor, PageSize]))!;
            cursor = (string)items[0]!;
            for (var i = 1; i + stride <= items.Length; i += stride)
            {
                var entry = await ReadAsync(bucket, nodes, items, i);
                // HSCAN may return an entry twice (while the hash is rehashed): report each session once.
                if (ids.Add(entry.SessionId) && keep(entry))
                {
                    kept.Add(entry);
                }
            }
            onPage((items.Length - 1) / stride);
        }
        while (cursor != "0");
        return kept;
    }

    private async ValueTask<IndexEntry> ReadAsync(string bucket, NodeDirectory nodes, RedisResult[] items, int at)
    {
        var sessionId = (string)items[at + 1]!;
        var flat = new List<RedisValue>(CliScripts.WalkFields.Length * 2);
        for (var j = 0; j < CliScripts.WalkFields.Length; j++)
        {
            var value = items[at + 2 + j];
            if (!value.IsNull)
            {
                flat.Add(CliScripts.WalkFields[j]);
                flat.Add((RedisValue)value);
            }
        }
        RedisValue[] fields = [.. flat];
        var record = await nodes.ReadAsync(_context, SessionRecord.FromFlat(sessionId, fields, nodes.DefaultIdleTimeout));
        return new IndexEntry(bucket, (string)items[at]!, sessionId, record);
    }
}
