using Microsoft.Extensions.DependencyInjection;

namespace RedisSessions;

/// <summary>Returned by <c>services.AddRedisSessions(...)</c> to chain further RedisSessions registrations.</summary>
public interface IRedisSessionsBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}

internal sealed class RedisSessionsBuilder(IServiceCollection services) : IRedisSessionsBuilder
{
    public IServiceCollection Services { get; } = services;
}
