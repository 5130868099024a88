using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers RedisSessions in a service collection.</summary>
public static class RedisSessionsServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="SessionManager"/>. Options bind from the <c>RedisSessions</c> configuration
    /// section (appsettings.json, <c>RedisSessions__KeyPrefix</c> environment variables, ...) and then
    /// <paramref name="configure"/>; they are validated at start. The connection is the registered
    /// <see cref="IConnectionMultiplexer"/> if there is one, else one made from <see cref="SessionOptions.Configuration"/>
    /// (a Redis that is down at start does not break start-up). In a host, the background sweep and expiry listener
    /// run as a hosted service: add it with <c>.AddTerminationListener()</c>.
    /// </summary>
    public static IRedisSessionsBuilder AddRedisSessions(this IServiceCollection services, Action<SessionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SessionOptions>();
        // Bind the "RedisSessions" section when the container has an IConfiguration (every host does); a bare
        // ServiceCollection without one still works with the configure delegate alone.
        services.AddSingleton<IConfigureOptions<SessionOptions>>(provider => new ConfigureNamedOptions<SessionOptions>(
            Options.Options.DefaultName,
            settings => provider.GetService<IConfiguration>()?.GetSection(SessionOptions.SectionName).Bind(settings)));
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionOptions>, SessionOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionMultiplexer>(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<SessionOptions>>().Value;
            if (string.IsNullOrWhiteSpace(settings.Configuration))
            {
                throw new InvalidOperationException(
                    "RedisSessions:Configuration is not set: set it in appsettings.json, as the environment variable RedisSessions__Configuration, or register an IConnectionMultiplexer.");
            }
            return RedisConnector.ConnectAsync(settings.Configuration).GetAwaiter().GetResult();
        });
        services.TryAddSingleton(provider => new SessionManager(
            provider.GetRequiredService<IConnectionMultiplexer>(),
            provider.GetRequiredService<IOptions<SessionOptions>>().Value,
            provider.GetService<ILogger<SessionManager>>(),
            provider.GetService<TimeProvider>(),
            ownsRedis: false,
            startBackground: false));
        return new RedisSessionsBuilder(services);
    }

    /// <summary>Registers RedisSessions with options bound from <paramref name="configuration"/> (a section shaped like
    /// <see cref="SessionOptions"/>) instead of the default <c>RedisSessions</c> section.</summary>
    public static IRedisSessionsBuilder AddRedisSessions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddRedisSessions();
        services.Configure<SessionOptions>(configuration);
        return builder;
    }
}
