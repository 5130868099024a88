using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using RedisSessions;
using RedisSessions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs the RedisSessions termination listener in a Generic Host.</summary>
public static class TerminationListenerServiceCollectionExtensions
{
    /// <summary>
    /// Makes this host a termination listener: the registered <see cref="SessionManager"/> runs the background sweep,
    /// the deadline schedule and the expiry listener (even with <see cref="SessionOptions.EnableAutoCleanup"/> off), and
    /// hands every termination this process claims to the <see cref="ISessionTerminationHandler"/>s registered in DI. On shutdown it stops claiming, lets terminations in
    /// flight finish within the host's shutdown timeout and hands the rest back; then the manager shuts down
    /// (<see cref="SessionOptions.TerminateOnShutdown"/> applies).
    /// </summary>
    public static IRedisSessionsBuilder AddTerminationListener(this IRedisSessionsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TerminationListenerMarker>();
        return builder;
    }

    /// <summary>Registers <typeparamref name="THandler"/> as an <see cref="ISessionTerminationHandler"/> (scoped: a new
    /// scope per termination).</summary>
    public static IRedisSessionsBuilder AddTerminationHandler<THandler>(this IRedisSessionsBuilder builder)
        where THandler : class, ISessionTerminationHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Scoped<ISessionTerminationHandler, THandler>());
        return builder;
    }
}

/// <summary>Registered by <c>AddTerminationListener()</c>: tells the hosted background service to run the handlers.</summary>
internal sealed class TerminationListenerMarker;
