// The RedisSessions worker host: handles every session that ends anywhere in the farm, exactly once across all the
// workers and listening servers sharing the Redis. See docs/termination-events.md.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.LocalRedis;
using RedisSessions.Worker;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json sits beside the program, wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
});

// No Redis configured: a demo. Start a private redis-server (deploy/redis.conf) and say so.
RedisServerProcess? demoRedis = null;
if (string.IsNullOrWhiteSpace(builder.Configuration[$"{SessionOptions.SectionName}:{nameof(SessionOptions.Configuration)}"]))
{
    demoRedis = await RedisServerProcess.StartAsync();
    builder.Configuration[$"{SessionOptions.SectionName}:{nameof(SessionOptions.Configuration)}"] = demoRedis.Endpoint;
}

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
var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RedisSessions.Worker");
if (demoRedis is not null)
{
    WorkerLog.DemoRedisStarted(log, demoRedis.Endpoint, demoRedis.Directory);
}
try
{
    await host.RunAsync();
}
finally
{
    if (demoRedis is not null)
    {
        await demoRedis.DisposeAsync();
    }
}
