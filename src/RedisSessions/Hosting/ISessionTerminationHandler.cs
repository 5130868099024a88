namespace RedisSessions;

/// <summary>
/// Handles ended sessions in a host that runs the termination listener
/// (<c>services.AddRedisSessions(...).AddTerminationListener()</c>). Register implementations in DI
/// (<c>AddTerminationHandler&lt;T&gt;()</c> or <c>services.AddScoped&lt;ISessionTerminationHandler, T&gt;()</c>); each
/// termination in the whole farm reaches one process, where every registered handler runs once, in a DI scope of its own.
/// </summary>
/// <remarks>
/// A handler that throws is logged and does not stop the others; the termination counts as handled. A handler that
/// observes the cancellation token when the host stops hands the termination back to the farm (another
/// process runs it). A process that dies while handling leaves it to be retried elsewhere after
/// <see cref="SessionOptions.TerminationClaimTimeout"/>: <see cref="SessionTermination.Attempt"/> is then above 1, which
/// lets a handler whose effects are not idempotent check whether a previous attempt got through.
/// </remarks>
public interface ISessionTerminationHandler
{
    /// <summary>Handles one ended session (its final snapshot, with the data, and the reason).</summary>
    Task HandleAsync(SessionTermination termination, CancellationToken cancellationToken);
}
