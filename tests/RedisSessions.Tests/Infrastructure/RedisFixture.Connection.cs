using StackExchange.Redis;

namespace RedisSessions.Testing;

/// <summary>This test project's tuning of the shared fixture's connection (tests/Shared/Redis/RedisFixtures.cs).</summary>
public abstract partial class RedisFixture
{
    partial void ConfigureConnection(ConfigurationOptions options)
    {
        // The inspection connection reads keys synchronously (SCAN): give it room on a busy 2-core CI machine.
        options.SyncTimeout = 10_000;
        options.AllowAdmin = true; // tests flush scripts, as a restart would
    }
}
