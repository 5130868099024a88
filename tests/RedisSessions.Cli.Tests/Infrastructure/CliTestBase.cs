using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace RedisSessions.Cli.Tests.Infrastructure;

/// <summary>Base of the CLI tests: a key prefix per test, managers to set sessions up with, and the CLI runner bound
/// to the fixture's Redis and the test's prefix.</summary>
public abstract class CliTestBase
{
    /// <summary>The <see cref="SessionOptions.InactiveTimeout"/> of <see cref="NewManager"/>'s sessions.</summary>
    protected static readonly TimeSpan InactiveTimeout = TimeSpan.FromHours(1);

    protected CliTestBase(RedisFixture redis) => Redis = redis;

    protected RedisFixture Redis { get; }

    protected IDatabase Db => Redis.Db;

    protected static string NewPrefix([CallerMemberName] string test = "") => TestKeys.NewPrefix('c', test);

    /// <summary>A manager on the shared connection, background work off, recording every read as activity.</summary>
    protected SessionManager NewManager(string prefix, string node = "web-1", TimeProvider? clock = null, Action<SessionOptions>? configure = null)
    {
        var options = new SessionOptions
        {
            KeyPrefix = prefix,
            EnableAutoCleanup = false,
            ActivityResolution = TimeSpan.Zero,
            InactiveTimeout = InactiveTimeout,
            MaxSessionsPerUser = 0,
            NodeName = node,
        };
        configure?.Invoke(options);
        return new SessionManager(Redis.Connection, options, logger: null, clock);
    }

    /// <summary>Runs the CLI with <c>--redis</c> and <c>--prefix</c> set for this test, and nothing else: no
    /// <c>--inactive-timeout</c> and no configuration, so last activity is derived from the timeout each creating
    /// manager recorded in the node registry, as an operator's run would.</summary>
    protected Task<CliResult> CliAsync(string prefix, params string[] arguments) =>
        CliRunner.RunAsync([.. arguments, "--redis", Redis.Configuration, "--prefix", prefix]);

    protected static string Bucket(string sessionId) => TestKeys.Bucket(sessionId);

    protected static string Key(string prefix, string sessionId, string kind) => TestKeys.Key(prefix, sessionId, kind);

    protected static string BucketKey(string prefix, string sessionId, string name) => TestKeys.BucketKey(prefix, sessionId, name);

    /// <summary>A well-formed session id in the same bucket as <paramref name="sibling"/> that names no session.</summary>
    protected static string FakeIdBeside(string sibling, char fill) => Bucket(sibling) + new string(fill, 22);
}
