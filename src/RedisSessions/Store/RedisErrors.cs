using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>Opening connections and telling "Redis is not reachable right now" apart from bugs.</summary>
internal static class RedisErrors
{
    /// <summary>Connects without failing when Redis is down: the multiplexer keeps retrying in the background.</summary>
    public static async Task<IConnectionMultiplexer> ConnectAsync(string configuration)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The Redis configuration string is not valid: {ex.Message}", nameof(configuration), ex);
        }
        options.AbortOnConnectFail = false;
        options.ClientName ??= "redis-sessions";
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    /// <summary>Errors that mean "Redis is not reachable or not serving right now", as opposed to bugs.</summary>
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal),
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ => false,
    };

    /// <summary>Errors a background task retries after a pause (Redis away, or answering with an error).</summary>
    public static bool IsTransient(Exception ex) => IsUnavailable(ex) || ex is RedisException or SessionStoreUnavailableException;
}
