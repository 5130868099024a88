using RedisSessions.Testing;
using Xunit;

namespace RedisSessions.Tests.Infrastructure;

// The fixtures are shared with the CLI tests (tests/Shared/Redis/RedisFixtures.cs, linked as source); the
// collections are this assembly's own.

[CollectionDefinition(Name)]
public sealed class StandaloneCollection : ICollectionFixture<StandaloneRedisFixture>
{
    public const string Name = "standalone redis";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterRedisFixture>
{
    public const string Name = "redis cluster";
}

[CollectionDefinition(Name)]
public sealed class TlsCollection : ICollectionFixture<TlsRedisFixture>
{
    public const string Name = "redis over tls";
}
