using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RedisSessions.AspNetCore.Hosting;

/// <summary>Healthy while Redis answers a PING through the RedisSessions connection (<see cref="SessionManager.PingAsync"/>).</summary>
internal sealed class RedisSessionsHealthCheck : IHealthCheck
{
    private readonly SessionManager _sessions;

    public RedisSessionsHealthCheck(SessionManager sessions) => _sessions = sessions;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await _sessions.PingAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(
                string.Create(CultureInfo.InvariantCulture, $"Redis answered PING in {latency.TotalMilliseconds:0.0} ms"),
                new Dictionary<string, object> { ["latency_ms"] = latency.TotalMilliseconds });
        }
        catch (SessionStoreUnavailableException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis is unreachable: sessions can't be loaded or created", ex);
        }
    }
}
