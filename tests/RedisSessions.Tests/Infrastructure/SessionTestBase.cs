using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace RedisSessions.Tests.Infrastructure;

/// <summary>Base of the contract tests: each concrete class runs them on one topology (standalone or cluster).
/// Every test gets its own key prefix, so tests never see each other's keys.</summary>
public abstract class SessionTestBase
{
    protected SessionTestBase(RedisFixture redis) => Redis = redis;

    protected RedisFixture Redis { get; }

    protected IDatabase Db => Redis.Connection.GetDatabase();

    protected static string NewPrefix([CallerMemberName] string test = "") => TestKeys.NewPrefix('t', test);

    /// <summary>A manager on the shared connection with background cleanup off (tests drive cleanup themselves
    /// unless they test the background part).</summary>
    protected SessionManager NewManager(string prefix, Action<SessionOptions>? configure = null, TimeProvider? clock = null, ILogger<SessionManager>? logger = null)
    {
        var options = new SessionOptions { KeyPrefix = prefix, EnableAutoCleanup = false, ActivityResolution = TimeSpan.Zero };
        configure?.Invoke(options);
        return new SessionManager(Redis.Connection, options, logger, clock);
    }

    /// <summary>Redis's clock, Unix ms.</summary>
    protected Task<long> RedisNowAsync() => RedisTime.NowAsync(Db);

    /// <summary>Waits until Redis's clock reads <paramref name="at"/>.</summary>
    protected Task WaitForRedisTimeAsync(DateTimeOffset at) => RedisTime.WaitUntilAsync(Db, at);

    /// <inheritdoc cref="WaitForRedisTimeAsync(DateTimeOffset)"/>
    protected Task WaitForRedisTimeAsync(long unixMs) => RedisTime.WaitUntilAsync(Db, unixMs);

    protected static string SessionKey(string prefix, string sessionId) => TestKeys.SessionKey(prefix, sessionId);

    protected static string UserKey(string prefix, string sessionId, string userId) => TestKeys.UserKey(prefix, sessionId, userId);

    protected static string TagKey(string prefix, string sessionId, string name) => TestKeys.TagKey(prefix, sessionId, name);

    /// <summary>A session hash's fields.</summary>
    protected async Task<Dictionary<string, string>> FieldsAsync(string prefix, string sessionId) =>
        (await Db.HashGetAllAsync(SessionKey(prefix, sessionId))).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
}
