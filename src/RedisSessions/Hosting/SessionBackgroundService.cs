using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RedisSessions.Hosting;

/// <summary>
/// The background work of the registered <see cref="SessionManager"/> in a host. It starts with the host: the sweep,
/// schedule and expiry listener when <see cref="SessionOptions.EnableAutoCleanup"/> is on or the termination listener
/// was added, and the <see cref="ISessionTerminationHandler"/>s as termination callbacks when the listener was added.
/// It shuts the manager down in <see cref="StoppedAsync"/>, after every hosted service stopped (a web server has
/// finished its requests by then, so none of them meets a manager that is gone), within the host's shutdown timeout.
/// </summary>
internal sealed partial class SessionBackgroundService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly SessionManager _manager;
    private readonly IServiceScopeFactory _scopes;
    private readonly bool _listen;
    private readonly ILogger _logger;
    private IDisposable? _registration;

    public SessionBackgroundService(SessionManager manager, IServiceScopeFactory scopes, IEnumerable<TerminationListenerMarker> listener, ILogger<SessionBackgroundService>? logger = null)
    {
        _manager = manager;
        _scopes = scopes;
        _listen = listener.Any();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_listen)
        {
            if (_manager.Settings.EnableAutoCleanup)
            {
                _manager.StartAutoCleanup();
            }
            return Task.CompletedTask;
        }
        using (var scope = _scopes.CreateScope())
        {
            var handlers = scope.ServiceProvider.GetServices<ISessionTerminationHandler>().Select(h => h.GetType().Name).ToArray();
            if (handlers.Length == 0)
            {
                // Without a callback the process claims nothing: it only ends sessions, and leaves the terminations
                // (announced on the pending channel) to a process that has handlers.
                Log.NoHandlers(_logger, _manager.Settings.NodeName);
            }
            else
            {
                _registration = _manager.RegisterTerminationCallback(RunHandlersAsync);
                Log.Started(_logger, _manager.Settings.NodeName, string.Join(", ", handlers));
            }
        }
        _manager.StartAutoCleanup();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        await _manager.ShutdownAsync(cancellationToken).ConfigureAwait(false);
        _registration?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _registration?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task RunHandlersAsync(SessionTermination termination, CancellationToken cancellationToken)
    {
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            foreach (var handler in scope.ServiceProvider.GetServices<ISessionTerminationHandler>())
            {
                try
                {
                    await handler.HandleAsync(termination, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw; // stopping: the termination is handed back
                }
#pragma warning disable CA1031 // One failing handler must not keep the others from running.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.HandlerFailed(_logger, ex, handler.GetType().Name, termination.Session.SessionId, termination.Reason);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "Termination listener started on node {Node} with handlers: {Handlers}", EventName = "ListenerStarted")]
        public static partial void Started(ILogger logger, string node, string handlers);

        [LoggerMessage(201, LogLevel.Warning, "Termination listener on node {Node} has no ISessionTerminationHandler registered: it ends sessions but leaves their terminations to a process that has handlers", EventName = "ListenerWithoutHandlers")]
        public static partial void NoHandlers(ILogger logger, string node);

        [LoggerMessage(202, LogLevel.Error, "Termination handler {Handler} failed for session {SessionId} ({Reason})", EventName = "HandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string handler, string sessionId, TerminationReason reason);
    }
}
