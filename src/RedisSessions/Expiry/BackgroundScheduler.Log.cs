using Microsoft.Extensions.Logging;

namespace RedisSessions.Expiry;

// Structured log messages of the background scheduler (event ids 100-109; SessionManager uses 1-99).
internal sealed partial class BackgroundScheduler
{
    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Debug, "Full sweep ended {Ended} session(s) in {ElapsedMs} ms", EventName = "FullSweepCompleted")]
        public static partial void FullSweepCompleted(ILogger logger, int ended, long elapsedMs);

        [LoggerMessage(101, LogLevel.Debug, "Sweep of tag {Tag} failed; trying again in a second", EventName = "TagSweepFailed")]
        public static partial void TagSweepFailed(ILogger logger, Exception exception, string tag);

        [LoggerMessage(102, LogLevel.Information, "Background sweep started on node {Node}: full sweep every {Interval}", EventName = "AutoCleanupStarted")]
        public static partial void Started(ILogger logger, string node, TimeSpan interval);

        [LoggerMessage(103, LogLevel.Warning, "Background sweep failed; retrying in {Delay}", EventName = "SweepFailed")]
        public static partial void SweepFailed(ILogger logger, Exception exception, TimeSpan delay);

        [LoggerMessage(104, LogLevel.Warning, "Could not start the expiry listener; trying again in 10 s (the deadline schedule and the sweep still end every session)", EventName = "ListenerStartFailed")]
        public static partial void ListenerStartFailed(ILogger logger, Exception exception);

        [LoggerMessage(105, LogLevel.Warning, "Could not read the next deadline of {Failed} of {Total} tags (a primary unreachable?); keyspace events and the sweep cover them meanwhile", EventName = "DeadlineRefreshIncomplete")]
        public static partial void DeadlineRefreshIncomplete(ILogger logger, Exception exception, int failed, int total);
    }
}
