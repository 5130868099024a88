using Microsoft.Extensions.Options;
using RedisSessions;
using StackExchange.Redis;

namespace WebFarm.App;

/// <summary>Redis unreachable in the middle of a page (sign-in, sign-out, the devices list): a 503 page that says so,
/// with the node's name, instead of an error page. Nobody is treated as signed in meanwhile (the ticket store fails
/// closed); <c>/healthz</c> reports the node unhealthy so the load balancer can route around it.</summary>
internal sealed partial class StoreUnavailablePages(RequestDelegate next, IOptions<FarmOptions> farm, ILogger<StoreUnavailablePages> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when ((ex is SessionStoreUnavailableException or RedisConnectionException or RedisTimeoutException) && !context.Response.HasStarted)
        {
            Log.Unavailable(logger, context.Request.Method, context.Request.Path);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            await context.Response.WriteAsHtmlAsync(Html.Page("Unavailable", farm.Value.NodeName,
                Html.Message("Try again in a moment", "The session store can't be reached right now. Nothing was changed.")));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Redis unreachable while serving {Method} {Path}: answered 503", EventName = "StoreUnavailable")]
        public static partial void Unavailable(ILogger logger, string method, string path);
    }
}
