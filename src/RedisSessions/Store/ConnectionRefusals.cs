using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>
/// Remembers why Redis refused the connections of a multiplexer this library opened (credentials not accepted, a TLS
/// certificate not trusted) until one of them is restored, so that a call failing for want of a connection can say
/// so instead of "unreachable".
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
    private static readonly ConditionalWeakTable<IConnectionMultiplexer, ConnectionRefusals> ByMultiplexer = new();

    private readonly ILoggerFactory _inner;
    private readonly ILogger _innerLogger;
    private string? _reason;

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

    /// <summary>Ties the tracker to the multiplexer it watches: a connection restored clears the refusal.</summary>
    public void Attach(IConnectionMultiplexer multiplexer)
    {
        multiplexer.ConnectionRestored += (_, _) => Volatile.Write(ref _reason, null);
        ByMultiplexer.AddOrUpdate(multiplexer, this);
    }

    /// <summary>Why <paramref name="multiplexer"/>'s connections were last refused, if none has been restored since;
    /// null when it was not opened here or nothing was refused.</summary>
    public static string? Of(IConnectionMultiplexer? multiplexer) =>
        multiplexer is not null && ByMultiplexer.TryGetValue(multiplexer, out var refusals) ? Volatile.Read(ref refusals._reason) : null;

    /// <summary>The latest refusal heard (for tests and the connect path).</summary>
    public string? Reason => Volatile.Read(ref _reason);

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
            Volatile.Write(ref _reason, reason);
        }
        if (_innerLogger.IsEnabled(logLevel))
        {
            _innerLogger.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
