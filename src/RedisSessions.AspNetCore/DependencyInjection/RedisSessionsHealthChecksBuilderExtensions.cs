using Microsoft.Extensions.Diagnostics.HealthChecks;
using RedisSessions;
using RedisSessions.AspNetCore.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health check of the RedisSessions connection.</summary>
public static class RedisSessionsHealthChecksBuilderExtensions
{
    /// <summary>Adds a check that Redis answers a PING through the registered <see cref="SessionManager"/>
    /// (<see cref="SessionManager.PingAsync"/>): healthy with the round trip in the description, else
    /// <paramref name="failureStatus"/> (default <see cref="HealthStatus.Unhealthy"/>). Map it with
    /// <c>app.MapHealthChecks("/healthz")</c> so a load balancer only sends requests to nodes that reach Redis.</summary>
    public static IHealthChecksBuilder AddRedisSessions(this IHealthChecksBuilder builder, string name = "redis-sessions",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(name,
            provider => new RedisSessionsHealthCheck(provider.GetRequiredService<SessionManager>()), failureStatus, tags, timeout));
    }
}
