using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RedisSessions;
using RedisSessions.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the "your devices" API (<see cref="DeviceSessionService"/>) as minimal API endpoints.</summary>
public static class DeviceSessionEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps, under <paramref name="pattern"/> (default <c>/api/devices</c>):
    /// <c>GET</c> — the current user's sessions as JSON (<see cref="DeviceSession"/>);
    /// <c>DELETE {sessionId}</c> — ends one of them (204; 404 when it is not a live session of this user);
    /// <c>DELETE others</c> — ends all but this browser's (200, <c>{"ended": n}</c>).
    /// A request that is not signed in through the ticket store gets 401, and 503 when Redis can't be reached. The
    /// endpoints change state only with <c>DELETE</c>, which a cross-site form can't send and a cross-site script
    /// can't send without a CORS preflight; add antiforgery or authorization policies on the returned group as needed.
    /// </summary>
    public static RouteGroupBuilder MapDeviceSessions(this IEndpointRouteBuilder endpoints, string pattern = "/api/devices")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var group = endpoints.MapGroup(pattern);
        group.MapGet("/", (HttpContext context, DeviceSessionService devices, CancellationToken cancellationToken) =>
            RunAsync(context, async () => Results.Ok(await devices.GetDevicesAsync(context, cancellationToken).ConfigureAwait(false))));
        group.MapDelete("/others", (HttpContext context, DeviceSessionService devices, CancellationToken cancellationToken) =>
            RunAsync(context, async () => Results.Ok(new EndedDevices(await devices.EndOtherDevicesAsync(context, cancellationToken).ConfigureAwait(false)))));
        group.MapDelete("/{sessionId}", (string sessionId, HttpContext context, DeviceSessionService devices, CancellationToken cancellationToken) =>
            RunAsync(context, async () => await devices.EndDeviceAsync(context, sessionId, cancellationToken).ConfigureAwait(false)
                ? Results.NoContent()
                : Results.NotFound()));
        return group;
    }

    private static async Task<IResult> RunAsync(HttpContext context, Func<Task<IResult>> action)
    {
        var feature = context.Features.Get<RedisSessionsFeature>();
        if (feature?.Session is null)
        {
            return feature?.StoreUnavailable == true ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable) : Results.Unauthorized();
        }
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
    }

    private sealed record EndedDevices(int Ended);
}
