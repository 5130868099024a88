using System.Globalization;
using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// A master of a 6-node Redis Cluster (3 masters, one replica each) killed under load with handlers: its replica takes
/// over after cluster-node-timeout (2 s). Nothing may be lost, orphaned or run twice, apart from what the dead master
/// acknowledged before it died and had not replicated (counted).
/// <para>
/// The nodes are redis-server processes of the test's own, not containers: a cluster node announces one address to
/// clients and to the other nodes alike, which behind Docker's port publishing is not one both can reach, and the
/// master is killed with SIGKILL.
/// </para>
/// </summary>
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_a_master_under_load_fails_over_to_its_replica_and_loses_only_what_was_not_replicated()
    {
        var figures = new Figures(output, nameof(Killing_a_master_under_load_fails_over_to_its_replica_and_loses_only_what_was_not_replicated));
        await using var cluster = await RedisClusterProcess.StartAsync(masters: 3, replicasPerMaster: 1);
        var failing = cluster.Masters[0];
        var heir = cluster.Replicas[0]; // the replica of Masters[0]
        var configuration = cluster.Configuration + ",abortConnect=false,asyncTimeout=2000,syncTimeout=2000,connectTimeout=2000";
        figures.Add("configuration", "6 node endpoints, asyncTimeout=2000,syncTimeout=2000,connectTimeout=2000");
        using var admin = await ConnectionMultiplexer.ConnectAsync(cluster.Configuration + ",abortConnect=false,allowAdmin=true");
        var scenario = new FailoverLoad(output, figures, "cluster", configuration);
        // The slots the killed master serves: recovery is measured on sessions of those (the others never stop).
        var slots = admin.GetServer(failing.Endpoint).ClusterConfiguration!.Nodes.Single(n => n.EndPoint?.ToString() == failing.Endpoint).Slots;
        bool Served(string sessionId)
        {
            var slot = admin.HashSlot("{" + sessionId[..3] + "}");
            return slots.Any(range => range.From <= slot && slot <= range.To);
        }

        var accounting = await scenario.RunAsync(admin,
            fault: failing.KillAsync,
            failedOver: async () =>
            {
                await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", Text(heir.Port), "role")).StartsWith("master", StringComparison.Ordinal),
                    "the replica of the killed master is promoted", TimeSpan.FromSeconds(60));
                await cluster.WaitUntilReadyAsync(); // every running node says cluster_state:ok
            },
            served: Served);

        scenario.AssertOnlyTheFailoverExplains(accounting, callLimit: TimeSpan.FromSeconds(3 * (2 + 1) + 2));
        // Every master that is left holds a consistent store, and nothing but the events stream once all is handled.
        using var survivors = await ConnectionMultiplexer.ConnectAsync(string.Join(",", cluster.Nodes.Where(n => n.IsRunning).Select(n => n.Endpoint)) + ",allowAdmin=true");
        Assert.Empty(await StoreInspector.ViolationsAsync(survivors, "cluster"));
        Assert.Empty(await StoreInspector.LeftoversAsync(survivors, "cluster"));
        figures.Publish();
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
