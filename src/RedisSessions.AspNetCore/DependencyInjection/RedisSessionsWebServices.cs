using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisSessions.AspNetCore.Hosting;

namespace RedisSessions.AspNetCore.DependencyInjection;

/// <summary>What every registration of the integration needs, added once.</summary>
internal static class RedisSessionsWebServices
{
    public static void Add(IServiceCollection services, Action<RedisSessionsAspNetCoreOptions>? configure)
    {
        // The core, unless the app registered it already (with its own configure delegate).
        if (!services.Any(d => d.ServiceType == typeof(SessionManager)))
        {
            services.AddRedisSessions();
        }
        var options = services.AddOptions<RedisSessionsAspNetCoreOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<RedisSessionsAspNetCoreOptions>, OptionsFromConfiguration>());
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisSessionsAspNetCoreOptions>, OptionsValidator>());
        services.AddDataProtection();
        services.AddHttpContextAccessor();
        services.TryAddSingleton(provider => new DeviceSessionService(
            provider.GetRequiredService<SessionManager>(), provider.GetRequiredService<ILogger<DeviceSessionService>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DataProtectionCheck>());
    }

    /// <summary>Binds the <c>RedisSessions:AspNetCore</c> section when the container has a configuration (every host does).</summary>
    private sealed class OptionsFromConfiguration : IConfigureOptions<RedisSessionsAspNetCoreOptions>
    {
        private readonly IConfiguration? _configuration;

        public OptionsFromConfiguration(IServiceProvider services) => _configuration = services.GetService<IConfiguration>();

        public void Configure(RedisSessionsAspNetCoreOptions options) =>
            _configuration?.GetSection(RedisSessionsAspNetCoreOptions.SectionName).Bind(options);
    }

    private sealed class OptionsValidator : IValidateOptions<RedisSessionsAspNetCoreOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisSessionsAspNetCoreOptions options)
        {
            var problems = options.GetProblems().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
