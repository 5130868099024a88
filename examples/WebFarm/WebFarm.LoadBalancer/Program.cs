// The web farm's load balancer: YARP forwarding every request to the app nodes in turn (round robin), with no session
// affinity: the sessions live in Redis, so any node serves any request. Each node's /healthz is checked every couple
// of seconds; a node failing the checks leaves the rotation until it answers again.
//
//   LoadBalancer__Destinations__0=http://127.0.0.1:5001 LoadBalancer__Destinations__1=http://127.0.0.1:5002 \
//   ASPNETCORE_URLS=http://127.0.0.1:8080 dotnet WebFarm.LoadBalancer.dll
//
// Settings (LoadBalancerOptions): appsettings.json, LoadBalancer__* environment variables, the command line.
using System.Diagnostics;
using WebFarm.LoadBalancer;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json sits beside the program, wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
});

var options = builder.Configuration.GetSection(LoadBalancerOptions.SectionName).Get<LoadBalancerOptions>() ?? new LoadBalancerOptions();
var problems = options.Problems();
if (problems.Count > 0)
{
    foreach (var problem in problems)
    {
        await Console.Error.WriteLineAsync($"WebFarm.LoadBalancer: {problem}");
    }
    return 2;
}

builder.Services.AddReverseProxy().LoadFromMemory(ProxyConfiguration.Routes(), ProxyConfiguration.Clusters(options));
builder.Services.AddSingleton<HealthWatcher>();
builder.Services.AddHostedService(provider => provider.GetRequiredService<HealthWatcher>());

var app = builder.Build();
var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WebFarm.LoadBalancer");

// The load balancer's own health: how many destinations can take requests. Not forwarded.
app.MapGet(options.StatusPath, (HealthWatcher health) =>
{
    var destinations = health.Destinations();
    var healthy = destinations.Count(d => d.Health == DestinationHealth.Healthy);
    var unknown = destinations.Count(d => d.Health == DestinationHealth.Unknown);
    var unhealthy = destinations.Count - healthy - unknown;
    // YARP sends requests to healthy destinations and to those not checked yet.
    var available = healthy + unknown > 0;
    return Results.Json(
        new { status = available ? "ok" : "no destination available", healthy, unhealthy, unknown, total = destinations.Count },
        statusCode: available ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
});

app.MapReverseProxy(pipeline =>
{
    // One line per request: which node served it, so the rotation is visible in the log.
    pipeline.Use(async (context, next) =>
    {
        var started = Stopwatch.GetTimestamp();
        await next();
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var destination = context.GetReverseProxyFeature().ProxiedDestination;
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (destination is not null)
        {
            LoadBalancerLog.Forwarded(log, request.Method, path, destination.DestinationId, destination.Model.Config.Address, context.Response.StatusCode, elapsed);
        }
        else
        {
            var problem = context.Features.Get<IForwarderErrorFeature>()?.Error.ToString() ?? "no destination available";
            LoadBalancerLog.NotForwarded(log, request.Method, path, context.Response.StatusCode, problem, elapsed);
        }
    });
    // No UseSessionAffinity(): the farm has none on purpose.
    pipeline.UseLoadBalancing();
    pipeline.UsePassiveHealthChecks();
});

LoadBalancerLog.Started(log, options.Destinations.Count,
    string.Join(", ", options.Destinations.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value}")),
    options.HealthCheckPath, options.HealthCheckInterval);

// SIGTERM / Ctrl-C: Kestrel stops accepting, lets requests in flight finish (HostOptions.ShutdownTimeout), and exits 0.
await app.RunAsync();
return 0;
