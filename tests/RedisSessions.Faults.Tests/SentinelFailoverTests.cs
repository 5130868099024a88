using System.Globalization;
using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// A primary killed under load behind Sentinel: one primary, one replica, three Sentinels (quorum 2, down after 1 s),
/// the application connected through Sentinel (<c>serviceName=</c> with the Sentinel endpoints). Counts the sessions
/// and terminations lost or run twice and the time to the first successful call after the kill; whatever is lost
/// must be something the primary acknowledged before it died (asynchronous replication), and is counted.
/// <para>
/// Every server and Sentinel is a process of the test's own, not a container: the primary is killed with SIGKILL,
/// Sentinel hands clients the addresses the servers announce, and those must be loopback ports the test process
/// reaches (behind Docker's port publishing, the announced container addresses are not).
/// </para>
/// </summary>
public sealed class SentinelFailoverTests(ITestOutputHelper output)
{
    private const string Service = "sessions";

    [Fact]
    public async Task Killing_the_primary_under_load_fails_over_through_sentinel_and_loses_only_what_was_not_replicated()
    {
        var figures = new Figures(output, nameof(Killing_the_primary_under_load_fails_over_through_sentinel_and_loses_only_what_was_not_replicated));
        await using var primary = await RedisServerProcess.StartAsync();
        await using var replica = await RedisServerProcess.StartAsync("--replicaof", "127.0.0.1", Text(primary.Port));
        await Eventually.TrueAsync(async () => (await RedisTools.RunCliAsync("-p", Text(replica.Port), "info", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
            "the replica is in sync", TimeSpan.FromSeconds(30));
        var sentinels = new List<SentinelProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                sentinels.Add(await SentinelProcess.StartAsync(Service, primary, quorum: 2, downAfterMilliseconds: 1000, failoverTimeoutMilliseconds: 10000));
            }
            // Every Sentinel knows the replica and the two others, and a failover can be authorized.
            foreach (var sentinel in sentinels)
            {
                await Eventually.TrueAsync(async () => (await sentinel.CliAsync("sentinel", "ckquorum", Service)).StartsWith("OK 3 usable", StringComparison.Ordinal)
                    && (await sentinel.CliAsync("sentinel", "replicas", Service)).Contains(Text(replica.Port), StringComparison.Ordinal),
                    $"Sentinel {sentinel.Port} knows the replica and the other Sentinels", TimeSpan.FromSeconds(30));
            }

            var endpoints = string.Join(",", sentinels.Select(s => s.Endpoint));
            var configuration = $"{endpoints},serviceName={Service},abortConnect=false,asyncTimeout=2000,syncTimeout=2000,connectTimeout=2000";
            figures.Add("configuration", "serviceName=" + Service + " with 3 Sentinel endpoints, asyncTimeout=2000,syncTimeout=2000,connectTimeout=2000");
            using var admin = await ConnectionMultiplexer.ConnectAsync($"{endpoints},serviceName={Service},abortConnect=false,allowAdmin=true");
            var scenario = new FailoverLoad(output, figures, "sentinel", configuration);
            var accounting = await scenario.RunAsync(admin,
                fault: primary.KillAsync,
                failedOver: () => Eventually.TrueAsync(async () =>
                {
                    foreach (var sentinel in sentinels)
                    {
                        if (await sentinel.PrimaryPortAsync(Service) != replica.Port)
                        {
                            return false;
                        }
                    }
                    return (await RedisTools.RunCliAsync("-p", Text(replica.Port), "role")).StartsWith("master", StringComparison.Ordinal);
                }, "every Sentinel names the promoted replica", TimeSpan.FromSeconds(60)));
            figures.Add("sentinel_log", string.Join(" | ", sentinels[0].Log.Where(l => l.Contains("+switch-master", StringComparison.Ordinal) || l.Contains("+odown", StringComparison.Ordinal)).Select(l => l[(l.IndexOf('#', StringComparison.Ordinal) + 1)..].Trim())));

            scenario.AssertOnlyTheFailoverExplains(accounting, callLimit: TimeSpan.FromSeconds(3 * (2 + 1) + 2));
            // The promoted replica holds a consistent store and nothing but the events stream once all is handled.
            using var promoted = await ConnectionMultiplexer.ConnectAsync(replica.Endpoint + ",allowAdmin=true,abortConnect=false");
            Assert.Empty(await StoreInspector.ViolationsAsync(promoted, "sentinel"));
            Assert.Empty(await StoreInspector.LeftoversAsync(promoted, "sentinel"));
            figures.Publish();
        }
        finally
        {
            foreach (var sentinel in sentinels)
            {
                await sentinel.DisposeAsync();
            }
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
