using RedisSessions.Keys;

namespace RedisSessions.Administration;

/// <summary>Ending sessions as an operator.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>How many of a node's sessions are ended at once.</summary>
    private const int TerminationsInFlight = 8;

    /// <summary>Ends one session with reason <see cref="TerminationReason.Admin"/>, through
    /// <see cref="SessionManager.TerminateSessionAsync(string, TerminationReason, CancellationToken)"/>: its callbacks
    /// run once, in this process when its manager has some, else in a process with handlers. False when there was no
    /// live session with that id (unknown, malformed, or already ended).</summary>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is null, empty or white space.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public Task<bool> TerminateSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        _manager.TerminateSessionAsync(sessionId, TerminationReason.Admin, cancellationToken);

    /// <summary>Ends every session of <paramref name="userId"/> but <paramref name="exceptSessionId"/> (when given), with
    /// reason <see cref="TerminationReason.Admin"/>, through
    /// <see cref="SessionManager.TerminateUserSessionsAsync(string, TerminationReason, string?, CancellationToken)"/>
    /// (the user's index, in batches). A user with no session is not an error: the count is 0.</summary>
    /// <exception cref="ArgumentException"><paramref name="userId"/> can't be a user id.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<AdminTerminationResult> TerminateUserSessionsAsync(string userId, string? exceptSessionId = null, CancellationToken cancellationToken = default)
    {
        UserIds.Validate(userId, nameof(userId));
        var listed = new List<string>();
        await foreach (var session in ListSessionsAsync(new SessionFilter { UserId = userId }, cancellationToken).ConfigureAwait(false))
        {
            if (session.SessionId != exceptSessionId)
            {
                listed.Add(session.SessionId);
            }
        }
        var count = await _manager.TerminateUserSessionsAsync(userId, TerminationReason.Admin, exceptSessionId, cancellationToken).ConfigureAwait(false);
        listed.Sort(StringComparer.Ordinal);
        return new AdminTerminationResult(count, listed);
    }

    /// <summary>Ends every active session created by <paramref name="node"/> (<see cref="SessionOptions.NodeName"/>),
    /// with reason <see cref="TerminationReason.Admin"/>: a walk of the store (O(sessions), see
    /// <see cref="ListSessionsAsync"/>) that collects them, then one termination each through the manager. A node with
    /// no session is not an error: the count is 0.</summary>
    /// <exception cref="ArgumentException"><paramref name="node"/> is null, empty or white space.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<AdminTerminationResult> TerminateNodeSessionsAsync(string node, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        // Collected first: ending sessions while walking would change the indexes being walked.
        var found = new List<string>();
        await foreach (var session in ListSessionsAsync(new SessionFilter { Node = node }, cancellationToken).ConfigureAwait(false))
        {
            found.Add(session.SessionId);
        }
        var ended = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(found, new ParallelOptions { MaxDegreeOfParallelism = TerminationsInFlight, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            if (await _manager.TerminateSessionAsync(id, TerminationReason.Admin, ct).ConfigureAwait(false))
            {
                ended.Add(id);
            }
        }).ConfigureAwait(false);
        var ids = ended.ToList();
        ids.Sort(StringComparer.Ordinal);
        return new AdminTerminationResult(ids.Count, ids);
    }
}
