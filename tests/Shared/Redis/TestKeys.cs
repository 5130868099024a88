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

    /// <summary>The hash-tag bucket of a session id (its first 3 characters).</summary>
    public static string Bucket(string sessionId) => sessionId[..3];

    /// <summary>A per-session key: <c>{prefix}:{bucket}:{kind}:{sessionId}</c>.</summary>
    public static string Key(string prefix, string sessionId, string kind) => $"{prefix}:{{{Bucket(sessionId)}}}:{kind}:{sessionId}";

    /// <summary>A per-bucket key of the session's bucket: <c>{prefix}:{bucket}:{name}</c>.</summary>
    public static string BucketKey(string prefix, string sessionId, string name) => $"{prefix}:{{{Bucket(sessionId)}}}:{name}";
}
