namespace RedisSessions.Scripts;

/// <summary>The scripts, loaded once. Each has a file of its own under Lua/, whose header fixes its KEYS and ARGV;
/// the typed calls beside them (<see cref="CreateSessionCall"/>, ...) are the only code that builds those arrays.</summary>
internal static class SessionScripts
{
    public static readonly LuaScript CreateSession = LuaScript.Load("create_session", withCommon: true);
    public static readonly LuaScript TouchSession = LuaScript.Load("touch_session", withCommon: true);
    public static readonly LuaScript SetSessionData = LuaScript.Load("set_session_data", withCommon: true);
    public static readonly LuaScript EndSession = LuaScript.Load("end_session", withCommon: true);
    public static readonly LuaScript EndUserSessions = LuaScript.Load("end_user_sessions", withCommon: true);
    public static readonly LuaScript RotateSession = LuaScript.Load("rotate_session", withCommon: true);
    public static readonly LuaScript ClaimTerminations = LuaScript.Load("claim_terminations", withCommon: true);
    public static readonly LuaScript RenewLeases = LuaScript.Load("renew_leases", withCommon: true);
    public static readonly LuaScript AcknowledgeTermination = LuaScript.Load("acknowledge_termination", withCommon: false);
    public static readonly LuaScript ReleaseTermination = LuaScript.Load("release_termination", withCommon: false);
    public static readonly LuaScript NextDue = LuaScript.Load("next_due", withCommon: false);
    public static readonly LuaScript RearmWake = LuaScript.Load("rearm_wake", withCommon: false);
    public static readonly LuaScript TagStats = LuaScript.Load("tag_stats", withCommon: false);
    public static readonly LuaScript WriteHeartbeat = LuaScript.Load("write_heartbeat", withCommon: false);

    // The admin API's own (Administration/): reads that see one instant, and cleanup repairs that re-check what they fix.
    public static readonly LuaScript ReadSessions = LuaScript.Load("read_sessions", withCommon: false);
    public static readonly LuaScript InspectSession = LuaScript.Load("inspect_session", withCommon: false);
    public static readonly LuaScript RepairUserIndex = LuaScript.Load("repair_user_index", withCommon: true);
    public static readonly LuaScript ReindexDue = LuaScript.Load("reindex_due", withCommon: true);
    public static readonly LuaScript ReindexSession = LuaScript.Load("reindex_session", withCommon: true);
    public static readonly LuaScript RemoveLostPending = LuaScript.Load("remove_lost_pending", withCommon: false);
    public static readonly LuaScript RequeueSnapshot = LuaScript.Load("requeue_snapshot", withCommon: false);
    public static readonly LuaScript SetSessionCount = LuaScript.Load("set_session_count", withCommon: false);

    /// <summary>Every script, for tools that load them ahead (the benchmark's redis-benchmark runs).</summary>
    public static IReadOnlyList<LuaScript> All { get; } =
    [
        CreateSession, TouchSession, SetSessionData, EndSession, EndUserSessions, RotateSession, ClaimTerminations,
        RenewLeases, AcknowledgeTermination, ReleaseTermination, NextDue, RearmWake, TagStats, WriteHeartbeat,
        ReadSessions, InspectSession, RepairUserIndex, ReindexDue, ReindexSession, RemoveLostPending, RequeueSnapshot, SetSessionCount,
    ];
}
