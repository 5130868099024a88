using System.Globalization;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.LoadBalancing;

namespace WebFarm.LoadBalancer;

/// <summary>The YARP routes and cluster made from <see cref="LoadBalancerOptions"/>: one catch-all route to one cluster.</summary>
internal static class ProxyConfiguration
{
    public const string ClusterId = "nodes";

    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig
        {
            RouteId = "all",
            ClusterId = ClusterId,
            // After the load balancer's own status endpoint.
            Order = 1000,
            Match = new RouteMatch { Path = "{**catch-all}" },
            Transforms =
            [
                // X-Forwarded-For/-Proto/-Host/-Prefix describe the client's request; values a client sent are
                // replaced, not appended to (this is the edge of the farm).
                new Dictionary<string, string>(StringComparer.Ordinal) { ["X-Forwarded"] = "Set" },
                // The nodes see the Host the client asked for, like behind any front end.
                new Dictionary<string, string>(StringComparer.Ordinal) { ["RequestHeaderOriginalHost"] = "true" },
            ],
        },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(LoadBalancerOptions options) =>
    [
        new ClusterConfig
        {
            ClusterId = ClusterId,
            // Each request to the next destination; no session affinity: any node serves any session.
            LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
            SessionAffinity = null,
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = options.HealthCheckInterval,
                    Timeout = options.HealthCheckTimeout,
                    Policy = "ConsecutiveFailures",
                    Path = options.HealthCheckPath,
                },
            },
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ConsecutiveFailuresHealthPolicy.Threshold"] = options.UnhealthyThreshold.ToString(CultureInfo.InvariantCulture),
            },
            Destinations = options.Destinations.ToDictionary(
                d => d.Key,
                d => new DestinationConfig { Address = d.Value },
                StringComparer.Ordinal),
        },
    ];
}
