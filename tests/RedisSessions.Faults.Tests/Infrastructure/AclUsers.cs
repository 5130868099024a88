namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// The ACL users of the managed-Redis tests, written to an ACL file the server loads (<c>--aclfile</c>). The minimal
/// one is the ACL docs/reliability.md documents: keys of the prefix only, the two channels RedisSessions uses, and
/// nothing but the commands it sends (directly or from its scripts, where Redis checks the caller's ACL too).
/// </summary>
public static class AclUsers
{
    public const string Password = "s3ssions-only";

    /// <summary>The tests' own user for inspection (ACL LOG, MONITOR): everything.</summary>
    public const string AdminPassword = "admin-only";

    /// <summary>redis-cli arguments that log in as the tests' admin user.</summary>
    public static readonly string[] AdminCli = ["--user", "admin", "--pass", AdminPassword, "--no-auth-warning"];

    /// <summary>Every command RedisSessions sends with the default options, as found with INFO commandstats over a run of
    /// every operation (logins with eviction, reads, writes, rotation, listing, figures, logouts, terminate-user,
    /// expiries with callbacks, the listener and its probe, heartbeats, the events stream): scripts (EVALSHA; EVAL
    /// when a server does not have the script yet), the commands the scripts call, the direct reads, the listener's
    /// subscription and probe, and what StackExchange.Redis needs to hold a connection.</summary>
    public static readonly string[] MinimalCommands =
    [
        // scripts
        "+evalsha", "+eval",
        // called by the scripts (Redis checks them against the caller's ACL)
        "+time", "+hget", "+hmget", "+hgetall", "+hset", "+hincrby", "+hdel", "+exists", "+get", "+set", "+incr", "+decrby", "+del",
        "+rename", "+pexpire", "+pexpireat", "+pexpiretime", "+zadd", "+zrem", "+zrange", "+zrangebyscore", "+zcount", "+zscore",
        "+zcard", "+zremrangebyscore", "+publish",
        // direct calls: the events stream, the listener's probe (SET with PX, or PSETEX when the client can't read the
        // server's version), its subscriptions
        "+xadd", "+psetex", "+subscribe", "+unsubscribe",
        // StackExchange.Redis: keep-alive, connection name, database
        "+ping", "+echo", "+client|setname", "+client|id", "+select", "+quit",
    ];

    /// <summary>The ACL rule of a user of <paramref name="prefix"/> with <paramref name="commands"/>.</summary>
    public static string User(string name, string prefix, IEnumerable<string> commands) =>
        $"user {name} on >{Password} resetkeys ~{prefix}:* resetchannels &{prefix}:pending &__keyevent@*__:expired -@all {string.Join(' ', commands)}";

    /// <summary>The categories the library's own NOPERM message recommends, with everything dangerous (CONFIG, KEYS,
    /// INFO, FLUSHALL, DEBUG...) refused.</summary>
    public static string CategoryUser(string name, string prefix) =>
        $"user {name} on >{Password} resetkeys ~{prefix}:* resetchannels &{prefix}:pending &__keyevent@*__:expired -@all +@read +@write +@scripting +@pubsub +@connection +time -@dangerous -config -keys -info";

    /// <summary>Writes an ACL file with the default user (open, so the server's start-up check can PING it: turn it off
    /// once the server runs, as a managed Redis has it), the tests' admin user and <paramref name="users"/>.</summary>
    public static string WriteFile(string directory, params string[] users)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "users.acl");
        File.WriteAllLines(path, ["user default on nopass ~* &* +@all", $"user admin on >{AdminPassword} ~* &* +@all", .. users]);
        return path;
    }
}
