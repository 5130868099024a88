namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>Key names of the schema (src/RedisSessions/Keys/KeySchema.cs), for reading Redis directly.</summary>
public static class StoreKeys
{
    /// <summary>The tag of a session id: its first three characters.</summary>
    public static string Tag(string sessionId) => sessionId[..3];

    public static string Session(string prefix, string sessionId) => $"{prefix}:{{{Tag(sessionId)}}}:session:{sessionId}";

    public static string Pending(string prefix, string sessionId) => $"{prefix}:{{{Tag(sessionId)}}}:pending";
}
