using RedisSessions.Keys;
using RedisSessions.Scripts;

namespace RedisSessions.Store;

/// <summary>Farm-wide figures: one read-only script per tag (pipelined), plus, only for tags whose due index has users
/// past their time (few while sweeps keep up), a count of those users' overdue sessions.</summary>
internal static class StatsReader
{
    public readonly record struct Figures(long Live, long Overdue, long Pending, long Users);

    public static async Task<Figures> ReadAsync(RedisConnection connection, ScriptContext scripts, RedisClock clock)
    {
        var db = (await connection.GetAsync().ConfigureAwait(false)).GetDatabase();
        var reads = Tags.All.Select(tag => TagCalls.StatsAsync(db, scripts, tag)).ToArray();
        var figures = await Task.WhenAll(reads).ConfigureAwait(false);
        long sessions = 0, pending = 0, users = 0, overdue = 0;
        var overdueReads = new List<Task<long>>();
        for (var i = 0; i < figures.Length; i++)
        {
            var f = figures[i];
            clock.Observe(f.NowMs);
            sessions += f.Sessions;
            pending += f.Pending;
            users += f.Users;
            if (f.DueUsers > 0)
            {
                overdueReads.Add(CountOverdueAsync(db, scripts, Tags.All[i], f.NowMs));
            }
        }
        foreach (var read in overdueReads)
        {
            overdue += await read.ConfigureAwait(false);
        }
        return new Figures(Math.Max(0, sessions - overdue), overdue, pending, users);
    }

    private static async Task<long> CountOverdueAsync(StackExchange.Redis.IDatabase db, ScriptContext scripts, string tag, long now)
    {
        var members = await db.SortedSetRangeByScoreAsync(scripts.Keys.Due(tag), double.NegativeInfinity, now).ConfigureAwait(false);
        var counts = members.Select(m => db.SortedSetLengthAsync(UserKeys.ForMember(scripts.Keys, tag, (string)m!).Index, double.NegativeInfinity, now)).ToArray();
        return (await Task.WhenAll(counts).ConfigureAwait(false)).Sum();
    }
}
