using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.Hosting;
using RedisSessions.Store;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers RedisSessions in a service collection.</summary>
public static class RedisSessionsServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="SessionManager"/>. Options bind from the <c>RedisSessions</c> configuration
    /// section (appsettings.json, <c>RedisSessions__KeyPrefix</c> environment variables, ...) and then
    /// <paramref name="configure"/>; they are validated at start.
    /// <para>The connection: the <see cref="IConnectionMultiplexer"/> the application registered (its own, or Aspire's
    /// <c>AddRedisClient</c>) when there is one; otherwise the manager opens its own from
    /// <see cref="SessionOptions.Configuration"/> on first use, without blocking and without registering it for the
    /// rest of the application. A Redis that is down at start does not break start-up.</para>
    /// <para>In a host, the background sweep (<see cref="SessionOptions.EnableAutoCleanup"/>) runs as a hosted service;
    /// add termination handlers with <c>.AddTerminationListener().AddTerminationHandler&lt;T&gt;()</c>.</para>
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
        services.TryAddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<SessionOptions>>().Value;
            var connection = provider.GetService<IConnectionMultiplexer>() is { } registered
                ? RedisConnection.Borrowed(registered)
                : RedisConnection.Lazy(string.IsNullOrWhiteSpace(settings.Configuration)
                    ? throw new InvalidOperationException(
                        "RedisSessions:Configuration is not set: set it in appsettings.json, as the environment variable RedisSessions__Configuration, or register an IConnectionMultiplexer.")
                    : settings.Configuration, settings.TrustedCertificateAuthorityPath);
            return new SessionManager(connection, settings, provider.GetService<ILogger<SessionManager>>(), provider.GetService<TimeProvider>(), startBackground: false);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SessionBackgroundService>());
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
