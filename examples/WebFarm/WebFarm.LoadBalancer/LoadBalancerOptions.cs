namespace WebFarm.LoadBalancer;

/// <summary>The <c>LoadBalancer</c> configuration section.</summary>
public sealed class LoadBalancerOptions
{
    public const string SectionName = "LoadBalancer";

    /// <summary>The app nodes, by id: <c>LoadBalancer__Destinations__0=http://127.0.0.1:5001</c> (an id may be any
    /// name; a JSON array gives ids 0, 1, ...). Requests go to them in turn (round robin), with no session affinity.</summary>
    public Dictionary<string, string> Destinations { get; } = new(StringComparer.Ordinal);

    /// <summary>The path each destination answers 200 on when it is ready.</summary>
    public string HealthCheckPath { get; set; } = "/healthz";

    /// <summary>How often each destination's health path is asked.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a health check may take before it counts as failed.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed checks in a row that take a destination out of the rotation (one success brings it back).</summary>
    public int UnhealthyThreshold { get; set; } = 2;

    /// <summary>The path of the load balancer's own health answer (JSON counts of healthy destinations; 200 while at
    /// least one destination can take requests, else 503). Requests to it are not forwarded.</summary>
    public string StatusPath { get; set; } = "/_lb/healthz";

    /// <summary>What is wrong with these settings (empty when nothing is).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Destinations.Count == 0)
        {
            problems.Add("no destinations: set LoadBalancer__Destinations__0=http://host:port (and __1, __2, ...) or LoadBalancer:Destinations in appsettings.json");
        }
        foreach (var (id, address) in Destinations)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"destination {id}: '{address}' is not an absolute http(s) URL");
            }
        }
        if (!HealthCheckPath.StartsWith('/'))
        {
            problems.Add($"HealthCheckPath '{HealthCheckPath}' must start with '/'");
        }
        if (!StatusPath.StartsWith('/'))
        {
            problems.Add($"StatusPath '{StatusPath}' must start with '/'");
        }
        if (HealthCheckInterval <= TimeSpan.Zero || HealthCheckTimeout <= TimeSpan.Zero)
        {
            problems.Add("HealthCheckInterval and HealthCheckTimeout must be positive");
        }
        if (UnhealthyThreshold < 1)
        {
            problems.Add("UnhealthyThreshold must be at least 1");
        }
        return problems;
    }
}
