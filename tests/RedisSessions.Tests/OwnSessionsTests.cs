using RedisSessions.Store;
using Xunit;

namespace RedisSessions.Tests;

/// <summary>The set of sessions a node tracks for TerminateOnShutdown: its prune is due each time the set has doubled
/// since what the last prune found live. (In memory: which ids are live is the prune's callback, read from Redis by
/// the manager; LifecycleTests covers that part.)</summary>
public sealed class OwnSessionsTests
{
    [Fact]
    public async Task A_slow_prune_sets_the_next_one_by_what_it_found_live_not_by_what_was_added_meanwhile()
    {
        var own = new OwnSessions();
        for (var i = 0; i < 1024; i++)
        {
            own.Add($"first{i}", "u");
        }
        Assert.True(own.TryStartPrune());
        var release = new TaskCompletionSource();
        var prune = own.PruneAsync(async ids =>
        {
            await release.Task;
            return ids.Select(_ => true).ToArray();
        });
        // While the prune waits on Redis, the node keeps logging users in: 2,100 tracked.
        for (var i = 0; i < 1076; i++)
        {
            own.Add($"later{i}", "u");
        }
        release.SetResult();
        await prune;

        Assert.Equal(2100, own.Count);
        Assert.True(own.TryStartPrune(), "2,100 tracked is more than twice the 1,024 the prune found live: the next prune is due");
    }
}
