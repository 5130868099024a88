using System.Runtime.CompilerServices;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using RedisSessions.Store;
using StackExchange.Redis;

namespace RedisSessions.Administration;

/// <summary>
/// The operator's view of a RedisSessions store, for tools such as the <c>redis-sessions</c> CLI: list, inspect and
/// terminate sessions, find and repair damaged indexes, read the termination stream, the listeners' heartbeats and the
/// store's figures. It owns the key schema so that no tool needs to know it.
/// </summary>
/// <remarks>
/// <para>It works through the <see cref="SessionManager"/> it is given: that manager's connection, key prefix and
/// settings; terminations go through the manager's own operations (reason <see cref="TerminationReason.Admin"/>), so
/// callbacks run exactly once, in a process with handlers. It does not own the manager.</para>
/// <para>Every call is bounded: a page of at most a few hundred index entries or sessions per round trip, and never
/// <c>KEYS</c>. Walking the whole store (listing without a user, terminating a node's sessions, cleanup) is
/// O(sessions) by nature; it pages through each of the 1,024 tags' indexes with <c>ZSCAN</c>, a few tags at a time.
/// Every time shown or compared comes from Redis's clock (<c>TIME</c>, read by the scripts), never the local one.
/// Nothing here counts as activity on a session.</para>
/// <para>Redis errors that mean it can't be reached surface as <see cref="SessionStoreUnavailableException"/>.</para>
/// </remarks>
public sealed partial class SessionAdmin
{
    /// <summary>How many users of a due index, or sessions of a user's index, one ZSCAN page asks for.</summary>
    internal const int ScanPage = 200;

    /// <summary>How many session hashes one read (or repair) script declares.</summary>
    internal const int SessionsPerCall = 100;

    /// <summary>How many tags a walk of the store works on at once.</summary>
    internal const int TagsInFlight = 16;

    private readonly SessionManager _manager;

    /// <summary>An admin view over <paramref name="manager"/>'s store (its connection and <see cref="SessionOptions.KeyPrefix"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="manager"/> is null.</exception>
    public SessionAdmin(SessionManager manager)
    {
        ArgumentNullException.ThrowIfNull(manager);
        _manager = manager;
    }

    /// <summary>The key prefix of the store this admin works on.</summary>
    public string KeyPrefix => Keys.Prefix;

    /// <summary>The termination stream's key (<c>{prefix}:events</c>), for messages and <c>redis-cli</c> hints.</summary>
    public string EventStreamKey => Keys.Events!;

    /// <summary>The pattern the listeners' heartbeat keys match (<c>{prefix}:heartbeat:*</c>), for messages and
    /// <c>redis-cli --scan</c> hints.</summary>
    public string HeartbeatKeyPattern => Keys.Prefix + ":heartbeat:*";

    private KeySchema Keys => _manager.Scripts.Keys;

    private ScriptContext Scripts => _manager.Scripts;

    private async Task<IDatabase> DbAsync() => (await _manager.Connection.GetAsync().ConfigureAwait(false)).GetDatabase();

    private Task<T> RunAsync<T>(string operation, Func<Task<T>> action) => _manager.RunAsync(operation, action);

    /// <summary>Passes <paramref name="source"/> on, turning "Redis can't be reached" into <see cref="SessionStoreUnavailableException"/>.</summary>
    private async IAsyncEnumerable<T> GuardAsync<T>(string operation, IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var enumerator = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (RedisErrors.IsUnavailable(ex))
                {
                    throw _manager.Unavailable(operation, ex);
                }
                if (!more)
                {
                    yield break;
                }
                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static DateTimeOffset At(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);

    private static DateTimeOffset? AtOrNull(long unixMs) => unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs) : null;

    /// <summary>Redis's clock (TIME), Unix ms.</summary>
    internal static async Task<long> RedisNowAsync(IDatabase db)
    {
        var parts = (RedisResult[])(await db.ExecuteAsync("TIME").ConfigureAwait(false))!;
        return (long)parts[0] * 1000 + (long)parts[1] / 1000;
    }
}
