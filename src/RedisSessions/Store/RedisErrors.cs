using System.Security.Authentication;
using StackExchange.Redis;

namespace RedisSessions.Store;

/// <summary>Opening connections and telling "Redis is not reachable right now" apart from bugs.</summary>
internal static class RedisErrors
{
    /// <summary>Connects without failing when Redis is down: the multiplexer keeps retrying in the background.
    /// <paramref name="trustedAuthority"/>: a private CA's certificate file for TLS.</summary>
    public static async Task<IConnectionMultiplexer> ConnectAsync(string configuration, string? trustedAuthority = null)
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
        // Socket I/O on the .NET thread pool rather than StackExchange.Redis's dedicated threads: measured on 2 cores,
        // 25-80 % more round trips per second for the same work (fewer threads waking each other). An application
        // that blocks thread-pool threads on async code should give RedisSessions its own multiplexer instead.
        options.SocketManager ??= SocketManager.ThreadPool;
        if (!string.IsNullOrEmpty(trustedAuthority))
        {
            options.TrustIssuer(trustedAuthority);
        }
        var refusals = ConnectionRefusals.InstallOn(options);
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        refusals.Attach(multiplexer);
        return multiplexer;
    }

    /// <summary>Errors that mean "Redis is not reachable or not serving right now", as opposed to bugs. Besides its
    /// connection and timeout errors, StackExchange.Redis fails a call with a cancellation nobody asked for (a message it
    /// dropped before writing it: no connection, or timed out in the backlog) and, when it tears down a connection it
    /// found dead, with the socket pipe's own InvalidOperationException ("Reading is not allowed after reader was
    /// completed").</summary>
    public static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        OperationCanceledException canceled => !canceled.CancellationToken.IsCancellationRequested,
        InvalidOperationException { Source: "System.IO.Pipelines" or "Pipelines.Sockets.Unofficial" } => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal),
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ => false,
    };

    /// <summary>Redis refused the connection's user (an ACL without a needed permission, a wrong password). A command
    /// a script calls is checked against the same ACL, and refused with another answer: "ERR The user executing the
    /// script can't run this command or subcommand" (or "can't access at least one of the keys") on Redis 7.0, "ERR ACL
    /// failure in script: ..." on 7.2 and later.</summary>
    public static bool IsAccessDenied(Exception ex) => ex is RedisServerException server
        && (server.Message.StartsWith("NOPERM", StringComparison.Ordinal) || server.Message.StartsWith("NOAUTH", StringComparison.Ordinal)
            || server.Message.StartsWith("WRONGPASS", StringComparison.Ordinal)
            || server.Message.StartsWith("ERR The user executing the script can't", StringComparison.Ordinal)
            || server.Message.StartsWith("ERR ACL failure in script", StringComparison.Ordinal));

    /// <summary>Why Redis is unreachable when it is not away but refuses the connection, in words for the caller: a
    /// TLS handshake that failed (the certificate problem named), or credentials the server did not accept. Null for
    /// every other failure. StackExchange.Redis reports both as an AuthenticationFailure of the connection, reached
    /// through the inner exceptions of the call's own error.</summary>
    public static string? RefusedConnection(Exception ex)
    {
        var refused = false;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure })
            {
                refused = true;
            }
            else if (refused && e is AuthenticationException tls)
            {
                return $"the TLS handshake failed: {tls.Message}{(tls.InnerException is { } cause ? " (" + cause.Message + ")" : string.Empty)}. " +
                    "Is the server's certificate signed by an authority this process trusts? (SessionOptions.TrustedCertificateAuthorityPath " +
                    "for a private CA, or ConfigurationOptions.TrustIssuer on your own multiplexer)";
            }
            else if (refused && e is not RedisException)
            {
                return $"Redis did not accept this connection's credentials (check user= and password= in the configuration): {e.Message.Trim()}";
            }
        }
        return refused ? "Redis did not accept this connection's credentials (check user= and password= in the configuration)." : null;
    }

    /// <summary>Errors a background task retries after a pause (Redis away, or answering with an error).</summary>
    public static bool IsTransient(Exception ex) => IsUnavailable(ex) || ex is RedisException or SessionStoreUnavailableException;
}
