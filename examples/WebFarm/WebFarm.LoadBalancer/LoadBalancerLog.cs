namespace WebFarm.LoadBalancer;

/// <summary>The load balancer's structured log lines (event ids 400-419).</summary>
internal static partial class LoadBalancerLog
{
    [LoggerMessage(400, LogLevel.Information, "Round robin over {Count} destination(s) without session affinity: {Destinations}; health checks GET {HealthCheckPath} every {Interval}", EventName = "Started")]
    public static partial void Started(ILogger logger, int count, string destinations, string healthCheckPath, TimeSpan interval);

    [LoggerMessage(401, LogLevel.Information, "{Method} {Path} -> {Destination} ({Address}) {StatusCode} in {ElapsedMs:0.0} ms", EventName = "Forwarded")]
    public static partial void Forwarded(ILogger logger, string method, string path, string destination, string address, int statusCode, double elapsedMs);

    [LoggerMessage(402, LogLevel.Warning, "{Method} {Path} not forwarded: {StatusCode} ({Problem}) in {ElapsedMs:0.0} ms", EventName = "NotForwarded")]
    public static partial void NotForwarded(ILogger logger, string method, string path, int statusCode, string problem, double elapsedMs);

    [LoggerMessage(403, LogLevel.Information, "Destination {Destination} ({Address}) is {Health}", EventName = "HealthChanged")]
    public static partial void HealthChanged(ILogger logger, string destination, string address, string health);
}
