using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class DependencyInjectionTests(StandaloneRedisFixture redis)
{
    [Fact]
    public async Task Options_bind_from_the_RedisSessions_section_and_the_manager_works()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RedisSessions:Configuration"] = redis.Configuration,
            ["RedisSessions:KeyPrefix"] = "di-bound",
            ["RedisSessions:MaxSessionsPerUser"] = "2",
            ["RedisSessions:InactiveTimeout"] = "00:10:00",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddRedisSessions();
        await using var provider = services.BuildServiceProvider();

        var manager = provider.GetRequiredService<SessionManager>();
        Assert.Equal("di-bound", manager.Options.KeyPrefix);
        Assert.Equal(2, manager.Options.MaxSessionsPerUser);
        var session = await manager.CreateSessionAsync("alice");
        Assert.Equal(TimeSpan.FromMinutes(10), session.ExpiresAt - session.CreatedAt);
    }

    [Fact]
    public async Task Works_without_an_IConfiguration_and_bad_settings_are_named()
    {
        var services = new ServiceCollection();
        services.AddRedisSessions(o => { o.Configuration = redis.Configuration; o.KeyPrefix = "di-plain"; });
        await using (var provider = services.BuildServiceProvider())
        {
            Assert.NotNull(await provider.GetRequiredService<SessionManager>().CreateSessionAsync("bob"));
        }

        var bad = new ServiceCollection();
        bad.AddRedisSessions(o => { o.Configuration = redis.Configuration; o.MaxSessionsPerUser = -1; });
        await using var badProvider = bad.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<SessionOptions>>().Value);
        Assert.Contains("MaxSessionsPerUser", error.Message);
    }

    [Fact]
    public void Seed_json_file_loads_and_unknown_keys_are_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"session_config_{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """{"inactive_timeout": 1800, "cleanup_interval": 300, "max_sessions_per_user": 5, "enable_auto_cleanup": true, "limit_policy": "reject_new"}""");
            var options = SessionOptions.FromFile(path);
            Assert.Equal(TimeSpan.FromMinutes(30), options.InactiveTimeout);
            Assert.Equal(TimeSpan.FromMinutes(5), options.CleanupInterval);
            Assert.Equal(SessionLimitPolicy.RejectNew, options.LimitPolicy);

            File.WriteAllText(path, """{"inactive_timout": 1800}""");
            var typo = Assert.Throws<ArgumentException>(() => SessionOptions.FromFile(path));
            Assert.Contains("inactive_timout", typo.Message);

            File.WriteAllText(path, """{"max_sessions_per_user": -3}""");
            Assert.Contains("MaxSessionsPerUser", Assert.Throws<ArgumentException>(() => SessionOptions.FromFile(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
