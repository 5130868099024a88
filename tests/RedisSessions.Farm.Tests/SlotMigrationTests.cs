using System.Diagnostics;
using System.Globalization;
using RedisSessions.Farm.Tests.Infrastructure;
using RedisSessions.Keys;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>
/// Slots of busy tags move between the masters of a 3-master cluster (<c>redis-cli --cluster reshard</c>, back and
/// forth) while two web-like processes log users of those tags in, read, refresh, write data, rotate and log out, and
/// sessions expire under two listeners. Every script declares its keys, so a slot being migrated answers ASK or
/// TRYAGAIN before anything is written: nothing is lost (every session created is live or reached its callback
/// exactly once), nothing is orphaned (no index entry without its session, no session outside its user's index, no
/// pending termination without its snapshot), and no operation fails.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class SlotMigrationTests(ITestOutputHelper output)
{
    /// <summary>How many of the source master's lowest slots move each time (reshard takes a node's lowest first).</summary>
    private const int MovedSlots = 400;

    private const int ChurnSeconds = 16;

    [Fact]
    public async Task Resharding_the_slots_of_busy_tags_during_logins_refreshes_logouts_and_expiries_loses_and_orphans_nothing()
    {
        // Local processes: a cluster can't run behind Docker's port publishing (tests/Shared/Redis/RedisFixtures.cs),
        // and redis-cli --cluster reshard must reach every node at the address the others know it by.
        await using var cluster = await RedisClusterProcess.StartAsync(3);
        await using var farm = await new SessionFarm(cluster.Configuration, output).ConnectAsync();
        var (from, to) = (cluster.Masters[0], cluster.Masters[1]);
        var ids = new Dictionary<RedisServerProcess, string>();
        foreach (var master in new[] { from, to })
        {
            ids[master] = (await RedisTools.RunCliAsync("-p", master.Port.ToString(CultureInfo.InvariantCulture), "cluster", "myid")).Trim();
        }
        var lowest = LowestSlot(farm, from);
        // Users of the tags whose slots move (two per tag), and a few whose tags stay where they are.
        var moving = new List<string>();
        var staying = new List<string>();
        var perTag = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var n = 0; n < 20_000; n++)
        {
            var user = $"u{n}";
            var tag = Tags.Of(user);
            var slot = farm.Redis.HashSlot($"{farm.Prefix}:{{{tag}}}:due");
            if (slot >= lowest && slot < lowest + MovedSlots)
            {
                if (perTag.GetValueOrDefault(tag) < 2)
                {
                    perTag[tag] = perTag.GetValueOrDefault(tag) + 1;
                    moving.Add(user);
                }
            }
            else if (staying.Count < 10)
            {
                staying.Add(user);
            }
        }
        Assert.True(perTag.Count >= 10, $"only {perTag.Count} tags in the slots that move");
        output.WriteLine($"{moving.Count} users on {perTag.Count} tags in slots {lowest}..{lowest + MovedSlots - 1} of {from.Endpoint}, {staying.Count} users elsewhere");

        await farm.StartListenerAsync("listener-1", "claim=5000", "stream=100000");
        await farm.StartListenerAsync("listener-2", "claim=5000", "stream=100000");
        var users = string.Join(',', moving.Concat(staying));
        var churn = new List<(FarmProcess Node, string File)>();
        for (var i = 1; i <= 2; i++)
        {
            var file = farm.PathOf($"churn-{i}.txt");
            churn.Add((farm.StartNode($"churn-{i}", "churn", cluster.Configuration, farm.Prefix, file, users, ChurnSeconds.ToString(CultureInfo.InvariantCulture),
                "timeout=4000", $"node=web-{i}", $"seed={i}"), file));
        }
        foreach (var (node, _) in churn)
        {
            await node.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));
        }

        // Back and forth while the traffic runs: each move takes the lowest slots of the node it moves from.
        var clock = Stopwatch.StartNew();
        var moves = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(ChurnSeconds - 3))
        {
            var (source, target) = moves % 2 == 0 ? (from, to) : (to, from);
            var took = Stopwatch.StartNew();
            await ReshardAsync(source, ids[source], ids[target]);
            moves++;
            output.WriteLine($"moved {MovedSlots} slots {source.Endpoint} -> {target.Endpoint} in {took.ElapsedMilliseconds} ms");
        }
        if (moves % 2 == 1)
        {
            await ReshardAsync(to, ids[to], ids[from]); // home again
            moves++;
        }
        Assert.True(moves >= 2, "the slots moved at least once each way while the traffic ran");
        foreach (var (node, _) in churn)
        {
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            output.WriteLine($"{node.Name}: {node.Output[^1]}");
        }

        var lines = churn.SelectMany(c => File.ReadAllLines(c.File)).ToList();
        var failures = lines.Where(l => l.StartsWith("failed ", StringComparison.Ordinal)).ToList();
        foreach (var group in failures.GroupBy(l => string.Join(' ', l.Split(' ').Take(3))).OrderByDescending(g => g.Count()))
        {
            output.WriteLine($"  {group.Count()} x {group.First()}");
        }
        var created = lines.Where(l => l.StartsWith("created ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
        var rotations = lines.Where(l => l.StartsWith("rotated ", StringComparison.Ordinal)).Select(l => l.Split(' ')).Select(p => (Old: p[1], New: p[2])).ToList();
        var loggedOut = lines.Where(l => l.StartsWith("ended ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToHashSet(StringComparer.Ordinal);
        var expected = created.Concat(rotations.Select(r => r.New)).Except(rotations.Select(r => r.Old), StringComparer.Ordinal)
            .ToDictionary(id => id, _ => DateTimeOffset.MinValue, StringComparer.Ordinal);
        output.WriteLine($"{created.Count} logins, {rotations.Count} rotations, {loggedOut.Count} logouts, {failures.Count} failed operations; " +
            $"{created.Count(id => moving.Contains(UserOf(lines, id)))} logins of users whose tags moved");

        // With every process stopped, the indexes and the sessions agree.
        await farm.StopAllAsync();
        var orphans = await FindOrphansAsync(farm);
        Assert.True(orphans.Count == 0, $"{orphans.Count} inconsistencies, e.g. {string.Join(" | ", orphans.Take(8))}");

        // A listener finishes what is left: every session reaches its callback exactly once.
        await farm.StartListenerAsync("finisher", "claim=5000", "stream=100000");
        await Eventually.TrueAsync(farm.AllSettledAsync, "every session ended and every termination was handled", TimeSpan.FromSeconds(60));
        await farm.StopAllAsync();
        var delivery = Delivery.Of(expected, farm.CallbackFiles);
        delivery.AssertExactlyOnce(output);
        Assert.All(delivery.Records.Where(r => !loggedOut.Contains(r.SessionId)), r => Assert.Equal("expired", r.Reason));
        var left = await KeysAsync(farm);
        Assert.DoesNotContain(left, k => !k.Contains(":session:", StringComparison.Ordinal)); // only the notices of why sessions ended
        Assert.Empty(failures);
    }

    /// <summary>The lowest slot <paramref name="master"/> serves (reshard moves a node's lowest slots first).</summary>
    private static int LowestSlot(SessionFarm farm, RedisServerProcess master)
    {
        var config = farm.Redis.GetServer(farm.Redis.GetEndPoints()[0]).ClusterConfiguration!;
        var node = config.Nodes.Single(n => n.EndPoint is System.Net.IPEndPoint ip && ip.Port == master.Port);
        return node.Slots.Min(r => r.From);
    }

    private async Task ReshardAsync(RedisServerProcess source, string sourceId, string targetId)
    {
        var start = new ProcessStartInfo(RedisTools.CliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--cluster", "reshard", source.Endpoint, "--cluster-from", sourceId, "--cluster-to", targetId,
            "--cluster-slots", MovedSlots.ToString(CultureInfo.InvariantCulture), "--cluster-yes", "--cluster-pipeline", "5" })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || (await stdout).Contains("[ERR]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli --cluster reshard failed ({process.ExitCode}): {(await stdout)[^Math.Min(2000, (await stdout).Length)..]} {await stderr}");
        }
    }

    private static string UserOf(List<string> lines, string sessionId) =>
        lines.FirstOrDefault(l => l.StartsWith("created " + sessionId + " ", StringComparison.Ordinal))?.Split(' ')[2] ?? string.Empty;

    private static async Task<List<string>> KeysAsync(SessionFarm farm)
    {
        var keys = new List<string>();
        foreach (var endpoint in farm.Redis.GetEndPoints())
        {
            var server = farm.Redis.GetServer(endpoint);
            if (server.IsConnected && !server.IsReplica)
            {
                await foreach (var key in server.KeysAsync(0, $"{farm.Prefix}:{{*}}:*", pageSize: 1000))
                {
                    keys.Add((string)key!);
                }
            }
        }
        return keys;
    }

    /// <summary>Everything in the tags' keys that does not agree: index entries without a live session of that user,
    /// live sessions outside their user's index, pending terminations without a snapshot, due entries that are not
    /// their user's earliest expiry, and tag counts that differ from the index entries.</summary>
    private static async Task<List<string>> FindOrphansAsync(SessionFarm farm)
    {
        var db = farm.Db;
        var problems = new List<string>();
        var byTag = (await KeysAsync(farm)).GroupBy(k => k[(farm.Prefix.Length + 2)..(farm.Prefix.Length + 5)]);
        foreach (var tag in byTag)
        {
            var keyBase = $"{farm.Prefix}:{{{tag.Key}}}:";
            long entries = 0;
            foreach (var key in tag.Where(k => k.StartsWith(keyBase + "user:", StringComparison.Ordinal)))
            {
                var member = key[(keyBase.Length + 5)..];
                var index = await db.SortedSetRangeByRankWithScoresAsync(key);
                entries += index.Length;
                foreach (var entry in index)
                {
                    var fields = await FieldsAsync(db, keyBase + "session:" + entry.Element);
                    if (fields.Count == 0 || fields.ContainsKey("ended") || fields.GetValueOrDefault("user") != member)
                    {
                        problems.Add($"{key} lists {entry.Element}, whose hash is {(fields.Count == 0 ? "gone" : string.Join(",", fields.Select(f => $"{f.Key}={f.Value}")))}");
                    }
                    else if (fields["expires"] != ((long)Math.Floor(entry.Score)).ToString(CultureInfo.InvariantCulture))
                    {
                        problems.Add($"{key} scores {entry.Element} {entry.Score}, its hash expires {fields["expires"]}");
                    }
                }
                var due = await db.SortedSetScoreAsync(keyBase + "due", member);
                if (index.Length > 0 && due != index[0].Score)
                {
                    problems.Add($"due index scores {member} {due}, its earliest session {index[0].Score}");
                }
            }
            foreach (var key in tag.Where(k => k.StartsWith(keyBase + "session:", StringComparison.Ordinal)))
            {
                var fields = await FieldsAsync(db, key);
                var sessionId = key[(keyBase.Length + 8)..];
                if (fields.Count > 0 && !fields.ContainsKey("ended") && await db.SortedSetScoreAsync(keyBase + "user:" + fields["user"], sessionId) is null)
                {
                    problems.Add($"{key} is live but not in its user's index");
                }
            }
            foreach (var pending in await db.SortedSetRangeByRankAsync(keyBase + "pending"))
            {
                var fields = await FieldsAsync(db, keyBase + "session:" + pending);
                if (!fields.ContainsKey("ended") || !fields.ContainsKey("user"))
                {
                    problems.Add($"pending {pending} has no snapshot");
                }
            }
            foreach (var member in await db.SortedSetRangeByRankAsync(keyBase + "due"))
            {
                if (!await db.KeyExistsAsync(keyBase + "user:" + member))
                {
                    problems.Add($"due index lists {member}, who has no index");
                }
            }
            var count = (long?)await db.StringGetAsync(keyBase + "sessions") ?? 0;
            if (count != entries)
            {
                problems.Add($"tag {tag.Key} counts {count} sessions, its users' indexes hold {entries}");
            }
        }
        return problems;
    }

    private static async Task<Dictionary<string, string>> FieldsAsync(IDatabase db, string key) =>
        (await db.HashGetAllAsync(key)).ToDictionary(f => (string)f.Name!, f => (string)f.Value!, StringComparer.Ordinal);
}
