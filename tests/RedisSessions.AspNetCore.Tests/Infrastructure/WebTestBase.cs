using System.Runtime.CompilerServices;

namespace RedisSessions.AspNetCore.Tests.Infrastructure;

/// <summary>Base of the tests that run on both topologies: each concrete class runs them on one (standalone or
/// cluster). Every test gets its own key prefix, so tests never see each other's sessions. Tests look at sessions
/// only through the public <see cref="SessionManager"/> API, never through the library's keys.</summary>
public abstract class WebTestBase
{
    protected WebTestBase(RedisFixture redis) => Redis = redis;

    protected RedisFixture Redis { get; }

    protected static string NewPrefix([CallerMemberName] string test = "") => TestKeys.NewPrefix('w', test);

    protected Task<TestWebApp> StartAppAsync(string prefix, Action<TestAppSettings>? configure = null) =>
        TestWebApp.StartAsync(Redis.Connection, prefix, configure);
}
