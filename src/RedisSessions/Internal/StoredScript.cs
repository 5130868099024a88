using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace RedisSessions.Internal;

/// <summary>
/// A Lua script sent by its SHA-1 (EVALSHA): the text goes over the wire only when a server does not have it yet
/// (after a restart, a failover, SCRIPT FLUSH, or on a cluster node that never ran it), and the client never hashes
/// the text again per call (StackExchange.Redis looks a script's text up in a table on every call otherwise).
/// </summary>
internal sealed class StoredScript
{
    public StoredScript(string name, string text)
    {
        Name = name;
        Text = text;
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by (EVALSHA); nothing relies on it for security.
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    /// <summary>A short name for logs and the benchmark.</summary>
    public string Name { get; }

    public string Text { get; }

    /// <summary>The SHA-1 of <see cref="Text"/>, as EVALSHA wants it.</summary>
    public byte[] Hash { get; }

    public string HashHex => Convert.ToHexStringLower(Hash);

    public Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[]? values = null)
    {
        var call = db.ScriptEvaluateAsync(Hash, keys, values);
        return call.IsCompletedSuccessfully ? call : WithFallbackAsync(call, db, keys, values);
    }

    private async Task<RedisResult> WithFallbackAsync(Task<RedisResult> call, IDatabaseAsync db, RedisKey[] keys, RedisValue[]? values)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // EVAL with the text runs it and leaves it cached on that server: later calls go by hash again.
            return await db.ScriptEvaluateAsync(Text, keys, values).ConfigureAwait(false);
        }
    }
}
