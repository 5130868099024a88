using System.Runtime.CompilerServices;
using RedisSessions.Administration;
using StackExchange.Redis;

namespace RedisSessions.Cli.Tests.Infrastructure;

/// <summary>Base of the CLI tests: a key prefix per test, managers to set sessions up with (their own connection is the
/// fixture's), and the CLI runner bound to the fixture's Redis and the test's prefix.</summary>
public abstract class CliTestBase
{
    protected CliTestBase(RedisFixture redis) => Redis = redis;

    protected RedisFixture Redis { get; }

    protected IDatabase Db => Redis.Db;

    protected bool IsCluster => Redis.Topology == "cluster";

    protected static string NewPrefix([CallerMemberName] string test = "") => TestKeys.NewPrefix('c', test);

    /// <summary>A manager on the shared connection, background work off, no limit per user.</summary>
    protected SessionManager NewManager(string prefix, string node = "web-1", Action<SessionOptions>? configure = null)
    {
        var options = new SessionOptions
        {
            KeyPrefix = prefix,
            EnableAutoCleanup = false,
            ActivityResolution = TimeSpan.Zero,
            MaxSessionsPerUser = 0,
            NodeName = node,
        };
        configure?.Invoke(options);
        return new SessionManager(Redis.Connection, options);
    }

    /// <summary>Runs the CLI with <c>--redis</c> and <c>--prefix</c> set for this test, and nothing else.</summary>
    protected Task<CliResult> CliAsync(string prefix, params string[] arguments) =>
        CliRunner.RunAsync([.. arguments, "--redis", Redis.Configuration, "--prefix", prefix]);

    /// <summary>Redis's clock, Unix ms.</summary>
    protected Task<long> RedisNowAsync() => RedisTime.NowAsync(Db);

    /// <summary>Makes a session look last active <paramref name="ago"/> before now on Redis's clock (HSET of its
    /// <c>last</c> field, as if written then): what list, show and stats read for idle times.</summary>
    protected async Task BackdateActivityAsync(string prefix, string sessionId, TimeSpan ago) =>
        await Db.HashSetAsync(TestKeys.SessionKey(prefix, sessionId), "last", await RedisNowAsync() - (long)ago.TotalMilliseconds);

    /// <summary>A well-formed session id in the same tag as <paramref name="sibling"/> that names no session.</summary>
    protected static string FakeIdBeside(string sibling, char fill) => TestKeys.Tag(sibling) + new string(fill, 22);

    protected static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> source)
    {
        var items = new List<T>();
        await foreach (var item in source)
        {
            items.Add(item);
        }
        return items;
    }

    /// <summary>The store as the admin API sees it (for checking what a command changed).</summary>
    protected static SessionAdmin Admin(SessionManager manager) => new(manager);
}
