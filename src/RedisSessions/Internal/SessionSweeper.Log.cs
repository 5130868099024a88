using Microsoft.Extensions.Logging;

namespace RedisSessions.Internal;

// Structured log messages of the background sweep (event ids 100-109; SessionManager uses 1-99).
internal sealed partial class SessionSweeper
{
    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Debug, "Full sweep ended {Expired} expired session(s) and handled {Handled} termination(s) in {ElapsedMs} ms", EventName = "FullSweepCompleted")]
        public static partial void FullSweepCompleted(ILogger logger, int expired, int handled, long elapsedMs);

        [LoggerMessage(101, LogLevel.Debug, "Sweep of bucket {Bucket} failed; trying again in a second", EventName = "BucketSweepFailed")]
        public static partial void BucketSweepFailed(ILogger logger, Exception exception, string bucket);

        [LoggerMessage(102, LogLevel.Warning, "Shutdown grace ran out with {InFlight} termination(s) in flight: their callbacks are cancelled and the terminations handed back", EventName = "ShutdownGraceOver")]
        public static partial void GraceOver(ILogger logger, int inFlight);

        [LoggerMessage(104, LogLevel.Warning, "Could not connect the expiry listener to every master; trying again in 10 s (the deadline schedule and the sweep still end every session)", EventName = "ListenerRefreshFailed")]
        public static partial void ListenerRefreshFailed(ILogger logger, Exception exception);

        [LoggerMessage(105, LogLevel.Warning, "Could not read the next deadline of {Failed} of {Total} buckets (a master unreachable?); keyspace events and the sweep cover them meanwhile", EventName = "DeadlineRefreshIncomplete")]
        public static partial void DeadlineRefreshIncomplete(ILogger logger, Exception exception, int failed, int total);

        [LoggerMessage(103, LogLevel.Information, "Handed {Count} claimed termination(s) back to the farm on shutdown", EventName = "TerminationsHandedBack")]
        public static partial void HandedBack(ILogger logger, long count);
    }
}
