// The RedisSessions worker host: handles every session that ends anywhere in the farm, exactly once across all the
// workers and listening servers sharing the Redis. See docs/termination-events.md.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.Worker;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json sits beside the program, wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
});

// A production host never starts a Redis of its own: without one configured it stops here, saying how to set it.
if (string.IsNullOrWhiteSpace(builder.Configuration[$"{SessionOptions.SectionName}:{nameof(SessionOptions.Configuration)}"]))
{
    await Console.Error.WriteLineAsync(
        "RedisSessions:Configuration is not set: give the worker its Redis, e.g. RedisSessions__Configuration=redis1:6379 " +
        "(a StackExchange.Redis configuration string; for a cluster, its primaries) or the same key in appsettings.json.");
    return 2;
}

// The log line's latency figure reads the machine's clock; the library no longer registers one for its host.
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddRedisSessions()
    .AddTerminationListener()
    .AddTerminationHandler<TerminationLogHandler>();

if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{WebhookOptions.SectionName}:{nameof(WebhookOptions.Url)}"]))
{
    builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateOnStart();
    builder.Services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
    builder.Services.AddHttpClient<WebhookTerminationHandler>();
    builder.Services.AddScoped<ISessionTerminationHandler>(provider => provider.GetRequiredService<WebhookTerminationHandler>());
}

using var host = builder.Build();
await host.RunAsync();
return 0;
