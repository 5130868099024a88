using Microsoft.Extensions.Logging;

namespace RedisSessions.Worker;

/// <summary>The worker's structured log lines (event ids 300-319).</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(300, LogLevel.Information, "Session {SessionId} of user {UserId} ended: {Reason}, age {AgeSeconds:0.0} s, created by {Node}, handled {LatencyMs} ms after it was due (attempt {Attempt})", EventName = "SessionEnded")]
    public static partial void SessionEnded(ILogger logger, string sessionId, string userId, string reason, double ageSeconds, string node, long latencyMs, int attempt);

    [LoggerMessage(302, LogLevel.Warning, "Webhook POST for session {SessionId} failed (attempt {Attempt} of {MaxAttempts}): {Problem}; retrying in {Delay}", EventName = "WebhookRetry")]
    public static partial void WebhookRetry(ILogger logger, string sessionId, int attempt, int maxAttempts, string problem, TimeSpan delay);

    [LoggerMessage(303, LogLevel.Information, "Webhook accepted session {SessionId} ({Status}) after {Attempts} attempt(s)", EventName = "WebhookDelivered")]
    public static partial void WebhookDelivered(ILogger logger, string sessionId, int status, int attempts);
}
