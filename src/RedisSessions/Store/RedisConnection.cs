using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>
/// The connection a manager works over: one the application opened and registered (borrowed: never disposed here), or
/// one the manager opens itself from a configuration string, on first use and without blocking anyone (a Redis that is
/// down at start-up is not an error: operations fail with <see cref="SessionStoreUnavailableException"/> until it is
/// back, and StackExchange.Redis keeps reconnecting in the background).
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly string? _configuration;
    private readonly string? _trustedAuthority;
    private readonly bool _owned;
    private readonly object _gate = new();
    private IConnectionMultiplexer? _multiplexer;
    private Task<IConnectionMultiplexer>? _connecting;
    private int _disposed;

    private RedisConnection(IConnectionMultiplexer? multiplexer, string? configuration, bool owned, string? trustedAuthority = null)
    {
        _multiplexer = multiplexer;
        _configuration = configuration;
        _trustedAuthority = trustedAuthority;
        _owned = owned;
    }

    /// <summary>The application's connection: used, never closed here.</summary>
    public static RedisConnection Borrowed(IConnectionMultiplexer multiplexer) => new(multiplexer, null, owned: false);

    /// <summary>A connection this manager opened and closes when it shuts down.</summary>
    public static RedisConnection Owned(IConnectionMultiplexer multiplexer) => new(multiplexer, null, owned: true);

    /// <summary>A connection opened from <paramref name="configuration"/> on first use, closed when the manager shuts down.</summary>
    public static RedisConnection Lazy(string configuration, string? trustedAuthority) => new(null, configuration, owned: true, trustedAuthority);

    /// <summary>The multiplexer once it exists.</summary>
    public IConnectionMultiplexer? Current => Volatile.Read(ref _multiplexer);

    /// <summary>The multiplexer: at once when it exists, else once the first connect attempt has finished.</summary>
    public ValueTask<IConnectionMultiplexer> GetAsync()
    {
        var current = Volatile.Read(ref _multiplexer);
        return current is not null ? new ValueTask<IConnectionMultiplexer>(current) : new ValueTask<IConnectionMultiplexer>(ConnectAsync());
    }

    private Task<IConnectionMultiplexer> ConnectAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_gate)
        {
            if (_connecting is null || _connecting.IsFaulted)
            {
                _connecting = OpenAsync();
            }
            return _connecting;
        }
    }

    private async Task<IConnectionMultiplexer> OpenAsync()
    {
        var multiplexer = await RedisErrors.ConnectAsync(_configuration!, _trustedAuthority).ConfigureAwait(false);
        Volatile.Write(ref _multiplexer, multiplexer);
        return multiplexer;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !_owned)
        {
            return;
        }
        var multiplexer = Volatile.Read(ref _multiplexer);
        if (multiplexer is null && _connecting is { } connecting)
        {
            try
            {
                multiplexer = await connecting.ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisErrors.IsUnavailable(ex) || ex is ArgumentException)
            {
                return;
            }
        }
        if (multiplexer is not null)
        {
            await multiplexer.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            multiplexer.Dispose();
        }
    }
}
