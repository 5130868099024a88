using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>
/// Remembers, per endpoint, why Redis refused the connections of a multiplexer this library opened (credentials not
/// accepted, a TLS certificate not trusted) until a connection to that endpoint is restored, so that a call failing for
/// want of a connection can say so instead of "unreachable".
/// </summary>
/// <remarks>
/// A call's own error does not always carry the refusal. StackExchange.Redis attaches to it the last failure of each
/// connection, but that is the first failure since the connection was last up: when the first attempt timed out or
/// lost its socket (a busy machine, a slow TLS handshake), every later refusal of the same connection stays out of the
/// call's error. Its logger, though, hears every failure with its exception, so this sits in as the multiplexer's
/// <see cref="ILoggerFactory"/> and passes everything on to the factory that was configured before it.
/// </remarks>
internal sealed class ConnectionRefusals : ILoggerFactory, ILogger
{
    /// <summary>The key of a refusal whose failure did not say its endpoint (IncludeDetailInExceptions off).</summary>
    private const string AnyEndpoint = "";

    private static readonly ConditionalWeakTable<IConnectionMultiplexer, ConnectionRefusals> ByMultiplexer = new();

    private readonly ILoggerFactory _inner;
    private readonly ILogger _innerLogger;
    private readonly ConcurrentDictionary<string, string> _byEndpoint = new(StringComparer.OrdinalIgnoreCase);

    private ConnectionRefusals(ILoggerFactory? inner)
    {
        _inner = inner ?? NullLoggerFactory.Instance;
        _innerLogger = _inner.CreateLogger<ConnectionMultiplexer>();
    }

    /// <summary>Puts a tracker in as <paramref name="options"/>' logger factory, in front of the one configured.</summary>
    public static ConnectionRefusals InstallOn(ConfigurationOptions options)
    {
        var refusals = new ConnectionRefusals(options.LoggerFactory);
        options.LoggerFactory = refusals;
        return refusals;
    }

    /// <summary>Ties the tracker to the multiplexer it watches. A restored connection clears its endpoint's refusal
    /// (those restored while connecting, before anyone listened, are cleared here).</summary>
    public void Attach(IConnectionMultiplexer multiplexer)
    {
        multiplexer.ConnectionRestored += (_, e) =>
        {
            _byEndpoint.TryRemove(EndPointCollection.ToString(e.EndPoint), out string? _);
            _byEndpoint.TryRemove(AnyEndpoint, out string? _);
        };
        foreach (var server in multiplexer.GetServers())
        {
            if (server.IsConnected)
            {
                _byEndpoint.TryRemove(EndPointCollection.ToString(server.EndPoint), out string? _);
            }
        }
        ByMultiplexer.AddOrUpdate(multiplexer, this);
    }

    /// <summary>Why Redis refuses the connection a call failed for want of, if this library opened the multiplexer and
    /// heard the refusal: only for a call that failed on the connection (not on an error Redis answered), and only
    /// while the refusing endpoint, the call's own when its error names it, is still not connected.</summary>
    public static string? Of(IConnectionMultiplexer? multiplexer, Exception callError)
    {
        if (multiplexer is null || !ByMultiplexer.TryGetValue(multiplexer, out var refusals) || refusals._byEndpoint.IsEmpty
            || !FailedOnTheConnection(callError))
        {
            return null;
        }
        var callEndpoint = EndpointOf(callError, "Redis-Server-Endpoint");
        foreach (var server in multiplexer.GetServers())
        {
            var endpoint = EndPointCollection.ToString(server.EndPoint);
            if (server.IsConnected || (callEndpoint is not null && !string.Equals(endpoint, callEndpoint, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (refusals._byEndpoint.TryGetValue(endpoint, out var reason) || refusals._byEndpoint.TryGetValue(AnyEndpoint, out reason))
            {
                return reason;
            }
        }
        return null;
    }

    private static bool FailedOnTheConnection(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException or RedisTimeoutException)
            {
                return true;
            }
            if (e is RedisServerException)
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>The endpoint StackExchange.Redis wrote into an exception's data (when IncludeDetailInExceptions).</summary>
    private static string? EndpointOf(Exception error, string key)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e.Data[key] is string endpoint && endpoint.Length > 0)
            {
                return endpoint;
            }
        }
        return null;
    }

    ILogger ILoggerFactory.CreateLogger(string categoryName) => this;

    void ILoggerFactory.AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

    void IDisposable.Dispose()
    {
        // The configured factory belongs to whoever configured it.
    }

    IDisposable? ILogger.BeginScope<TState>(TState state) => _innerLogger.BeginScope(state);

    // Connection failures are logged at Error level: those must reach Log whatever the inner logger wants.
    bool ILogger.IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error || _innerLogger.IsEnabled(logLevel);

    void ILogger.Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is not null && RedisErrors.RefusedConnection(exception) is { } reason)
        {
            _byEndpoint[EndpointOf(exception, "Redis-EndPoint") ?? AnyEndpoint] = reason;
        }
        if (_innerLogger.IsEnabled(logLevel))
        {
            _innerLogger.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
