using RedisSessions.Testing;
using Xunit;

namespace RedisSessions.AspNetCore.Tests.Infrastructure;

// The fixtures are the shared ones (tests/Shared/Redis, linked as source); the collections are this assembly's own.

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
