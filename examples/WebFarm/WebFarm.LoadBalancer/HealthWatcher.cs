using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace WebFarm.LoadBalancer;

/// <summary>Reads the health YARP's active checks give each destination: for the status endpoint, and one log line
/// whenever a destination's health changes.</summary>
internal sealed class HealthWatcher(IProxyStateLookup proxyState, ILogger<HealthWatcher> logger) : BackgroundService
{
    /// <summary>Health of each destination now, by id.</summary>
    public IReadOnlyList<(string Id, string Address, DestinationHealth Health)> Destinations()
    {
        if (!proxyState.TryGetCluster(ProxyConfiguration.ClusterId, out var cluster))
        {
            return [];
        }
        return cluster.Destinations.Values
            .Select(d => (d.DestinationId, d.Model.Config.Address, d.Health.Active))
            .OrderBy(d => d.DestinationId, StringComparer.Ordinal)
            .ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var known = new Dictionary<string, DestinationHealth>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        do
        {
            foreach (var (id, address, health) in Destinations())
            {
                if (!known.TryGetValue(id, out var before) || before != health)
                {
                    known[id] = health;
                    if (health != DestinationHealth.Unknown)
                    {
                        LoadBalancerLog.HealthChanged(logger, id, address, health == DestinationHealth.Healthy ? "healthy" : "unhealthy");
                    }
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
