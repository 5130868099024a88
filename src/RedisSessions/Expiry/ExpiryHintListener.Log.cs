using Microsoft.Extensions.Logging;

namespace RedisSessions.Expiry;

// Structured log messages of the expiry listener (event ids 110-119; SessionManager uses 1-99).
internal sealed partial class ExpiryHintListener
{
    private static partial class Log
    {
        [LoggerMessage(110, LogLevel.Information, "Listening for expired keys on {Count} primary node(s): {Endpoints}", EventName = "ListeningOnPrimaries")]
        public static partial void Listening(ILogger logger, int count, string endpoints);

        [LoggerMessage(111, LogLevel.Warning, "Lost the expiry listener's connection to {Endpoint} ({Failure}); its events are missed until it is back, the deadline refresh and sweep still end every session", EventName = "ListenerConnectionLost")]
        public static partial void MasterLost(ILogger logger, string endpoint, string failure);

        [LoggerMessage(112, LogLevel.Information, "Expiry listener reconnected to {Endpoint}; sweeping every bucket for what was missed meanwhile", EventName = "ListenerConnectionRestored")]
        public static partial void MasterBack(ILogger logger, string endpoint);

        [LoggerMessage(115, LogLevel.Warning, "Keyspace notifications for expired keys do not arrive from {Endpoint}: a probe key expired there without an event (notify-keyspace-events needs 'Ex', and the connection's ACL user the channel __keyevent@*__:expired). Add 'notify-keyspace-events Ex' to redis.conf (or set RedisSessions:ConfigureKeyspaceNotifications=true where CONFIG is allowed). Nothing is lost meanwhile: the deadline schedule and the sweep still end every session", EventName = "NotificationsOff")]
        public static partial void NotificationsOff(ILogger logger, string endpoint);

        [LoggerMessage(113, LogLevel.Information, "Turned keyspace notifications for expired keys on at {Endpoint}: notify-keyspace-events \"{Flags}\" -> \"{NewFlags}\" (ConfigureKeyspaceNotifications). Put 'notify-keyspace-events Ex' in redis.conf to keep it across restarts", EventName = "NotificationsTurnedOn")]
        public static partial void NotificationsTurnedOn(ILogger logger, string endpoint, string flags, string newFlags);

        [LoggerMessage(114, LogLevel.Warning, "Could not turn keyspace notifications on at {Endpoint}: {Error}. Add 'notify-keyspace-events Ex' to redis.conf (or the provider's parameter group); until then terminations rely on the deadline refresh and the sweep", EventName = "NotificationsNotSet")]
        public static partial void NotificationsNotSet(ILogger logger, string endpoint, string error);
    }
}
