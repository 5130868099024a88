using System.Runtime.CompilerServices;

namespace RedisSessions.Testing;

/// <summary>Key prefixes and key names the tests on a shared Redis use. Linked as source, so each test assembly
/// counts its own prefixes.</summary>
public static class TestKeys
{
    private static int s_counter;

    /// <summary>A prefix of its own for one test: <paramref name="letter"/>, a number unique in this test run and the
    /// start of the test's name.</summary>
    public static string NewPrefix(char letter, [CallerMemberName] string test = "")
    {
        var shortName = new string(test.Where(char.IsAsciiLetterOrDigit).Take(24).ToArray());
        return $"{letter}{Interlocked.Increment(ref s_counter)}-{shortName}";
    }

    /// <summary>The hash tag of a session id (its first 3 characters), which is its user's.</summary>
    public static string Tag(string sessionId) => sessionId[..3];

    /// <summary>A session's hash: <c>{prefix}:{tag}:session:{sessionId}</c>.</summary>
    public static string SessionKey(string prefix, string sessionId) => $"{prefix}:{{{Tag(sessionId)}}}:session:{sessionId}";

    /// <summary>The index of a user with a plain id (one the key shows as it is): <c>{prefix}:{tag}:user:{userId}</c>,
    /// where the tag is that of any session of the user.</summary>
    public static string UserKey(string prefix, string sessionId, string userId) => $"{prefix}:{{{Tag(sessionId)}}}:user:{userId}";

    /// <summary>A key of the session's tag: <c>{prefix}:{tag}:{name}</c> (due, pending, wake, sessions).</summary>
    public static string TagKey(string prefix, string sessionId, string name) => $"{prefix}:{{{Tag(sessionId)}}}:{name}";
}
