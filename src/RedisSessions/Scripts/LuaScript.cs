using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>
/// One Lua script of <c>Scripts/Lua</c> (embedded in the assembly), sent by its SHA-1 (EVALSHA): the text goes over the
/// wire only when a server does not have it yet (after a restart, a failover, SCRIPT FLUSH, or on a cluster node that
/// never ran it), and is then cached there again. Scripts that read the clock or end sessions get <c>common.lua</c>
/// in front of them.
/// </summary>
internal sealed class LuaScript
{
    private LuaScript(string name, string text)
    {
        Name = name;
        Text = text;
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by (EVALSHA); nothing relies on it for security.
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
#pragma warning restore CA5350
    }

    /// <summary>The file name without <c>.lua</c>, for logs and the benchmark.</summary>
    public string Name { get; }

    public string Text { get; }

    /// <summary>The SHA-1 of <see cref="Text"/>, as EVALSHA wants it.</summary>
    public byte[] Hash { get; }

    /// <summary>Loads <c>Scripts/Lua/{name}.lua</c>, after <c>common.lua</c> when <paramref name="withCommon"/>.</summary>
    public static LuaScript Load(string name, bool withCommon)
    {
        var text = Read(name);
        return new LuaScript(name, withCommon ? Read("common") + text : text);
    }

    public Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] values)
    {
        var call = db.ScriptEvaluateAsync(Hash, keys, values);
        return call.IsCompletedSuccessfully ? call : WithFallbackAsync(call, db, keys, values);
    }

    /// <summary>A server without the script gets its text; a cluster slot being migrated (TRYAGAIN: the script's keys
    /// are split between two nodes for a moment, and Redis refused it before running anything) is retried with a short
    /// backoff for up to <see cref="MigrationRetryLimit"/> before the error reaches the caller.</summary>
    private async Task<RedisResult> WithFallbackAsync(Task<RedisResult> call, IDatabaseAsync db, RedisKey[] keys, RedisValue[] values)
    {
        var delay = TimeSpan.FromMilliseconds(2);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return await call.ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // EVAL with the text runs it and leaves it cached on that server: later calls go by hash again.
                call = db.ScriptEvaluateAsync(Text, keys, values);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                && System.Diagnostics.Stopwatch.GetElapsedTime(started) < MigrationRetryLimit)
            {
                await Task.Delay(delay).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
                call = db.ScriptEvaluateAsync(Hash, keys, values);
            }
        }
    }

    /// <summary>How long a script refused with TRYAGAIN is retried: a resharding tool moves a slot's keys in a second
    /// or two under load.</summary>
    private static readonly TimeSpan MigrationRetryLimit = TimeSpan.FromSeconds(2.5);

    private static string Read(string name)
    {
        var resource = $"RedisSessions.Scripts.Lua.{name}.lua";
        using var stream = typeof(LuaScript).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The script {resource} is not embedded in the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
