namespace RedisSessions;

/// <summary>What a logout (any termination this process makes: logout, terminate-user, an operator's) waits for before
/// it returns, beyond the primary having applied it.</summary>
public enum LogoutDurability
{
    /// <summary>The primary applied it (with <c>appendfsync everysec</c>, a crash of the primary in the next second
    /// can lose it: the session would come back until it expires). The default.</summary>
    Primary = 0,

    /// <summary>At least one replica acknowledged it (<c>WAIT 1</c>): a failover after the call returns keeps it.</summary>
    ReplicaAcknowledged = 1,

    /// <summary>The primary wrote it to its append-only file and fsynced it (<c>WAITAOF 1 0</c>, Redis 7.2 or newer): a
    /// crash or restart of the primary after the call returns keeps it.</summary>
    AppendOnlyFileSynced = 2,
}
