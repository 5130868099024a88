using System.Collections.Concurrent;

namespace RedisSessions.Examples;

/// <summary>The example's termination callback: prints every session that ends (reason and final data) and lets the
/// example wait for, and check, the end of a given session.</summary>
internal sealed class TerminationWatcher
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<SessionTermination>> _ended = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    /// <summary>Register this with <see cref="SessionManager.RegisterTerminationCallback"/>.</summary>
    public Task OnTerminatedAsync(SessionTermination termination, CancellationToken cancellationToken)
    {
        var session = termination.Session;
        Example.Say($"[callback] session {session.SessionId} of \"{session.UserId}\" ended, reason: {termination.Reason}; final data: {Example.Format(session.Data)}");
        _calls.AddOrUpdate(session.SessionId, 1, (_, n) => n + 1);
        Slot(session.SessionId).TrySetResult(termination);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the callback has run for <paramref name="sessionId"/>.</summary>
    public Task<SessionTermination> Ended(string sessionId) => Slot(sessionId).Task;

    /// <summary>The termination the callback received for <paramref name="sessionId"/>, or null if it has not run.</summary>
    public SessionTermination? Received(string sessionId) => Slot(sessionId).Task is { IsCompletedSuccessfully: true } task ? task.Result : null;

    /// <summary>How many times the callback ran for <paramref name="sessionId"/>.</summary>
    public int Calls(string sessionId) => _calls.GetValueOrDefault(sessionId);

    private TaskCompletionSource<SessionTermination> Slot(string sessionId) =>
        _ended.GetOrAdd(sessionId, _ => new TaskCompletionSource<SessionTermination>(TaskCreationOptions.RunContinuationsAsynchronously));
}
