using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RedisSessions.Tests.Infrastructure;
using StackExchange.Redis;
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
    public async Task The_application_s_own_multiplexer_is_used_when_one_is_registered()
    {
        var options = ConfigurationOptions.Parse(redis.Configuration);
        options.ClientName = "the-application";
        using var application = await ConnectionMultiplexer.ConnectAsync(options);
        var services = new ServiceCollection().AddSingleton<IConnectionMultiplexer>(application);
        services.AddRedisSessions(o => { o.KeyPrefix = "di-app-mux"; o.Configuration = "unreachable.invalid:1"; });
        await using var provider = services.BuildServiceProvider();

        var before = application.OperationCount;
        var session = await provider.GetRequiredService<SessionManager>().CreateSessionAsync("alice");

        Assert.True(application.OperationCount > before, "the session went over the application's connection");
        Assert.Equal("alice", (await redis.Db.HashGetAsync(TestKeys.SessionKey("di-app-mux", session.SessionId), "user")).ToString());
        Assert.Same(application, provider.GetRequiredService<IConnectionMultiplexer>());
    }

    [Fact]
    public async Task Without_one_it_opens_its_own_on_first_use_registers_none_and_never_blocks_at_start()
    {
        // Redis unreachable: resolving the manager (what a host does at start) must not wait for a connection.
        var down = new ServiceCollection();
        down.AddRedisSessions(o => { o.KeyPrefix = "di-own-down"; o.Configuration = "127.0.0.1:1,connectTimeout=2000"; o.EnableAutoCleanup = false; });
        await using (var provider = down.BuildServiceProvider())
        {
            var clock = Stopwatch.StartNew();
            var manager = provider.GetRequiredService<SessionManager>();
            Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"resolving took {clock.Elapsed}");
            Assert.Null(provider.GetService<IConnectionMultiplexer>());
            await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => manager.CreateSessionAsync("bob"));
        }

        var up = new ServiceCollection();
        up.AddRedisSessions(o => { o.KeyPrefix = "di-own-up"; o.Configuration = redis.Configuration; o.EnableAutoCleanup = false; });
        await using var upProvider = up.BuildServiceProvider();
        Assert.NotNull(await upProvider.GetRequiredService<SessionManager>().CreateSessionAsync("bob"));
        Assert.Null(upProvider.GetService<IConnectionMultiplexer>());
    }

    [Fact]
    public async Task In_a_host_auto_cleanup_runs_as_a_hosted_service_and_stops_with_the_host()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRedisSessions(o => { o.KeyPrefix = "di-host"; o.Configuration = redis.Configuration; });
        using var host = builder.Build();
        var manager = host.Services.GetRequiredService<SessionManager>();
        Assert.False(manager.AutoCleanupRunning);

        await host.StartAsync();
        await Eventually.TrueAsync(() => manager.AutoCleanupRunning, "the background sweep runs with EnableAutoCleanup on");
        await host.StopAsync();
        Assert.False(manager.AutoCleanupRunning);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.CleanupInactiveSessionsAsync());
    }

    [Fact]
    public void The_connection_speaks_the_protocol_of_its_client_version()
    {
        // The contract suite runs twice in CI: on StackExchange.Redis 2.x (RESP2) and 3.x (RESP3 by default), whose
        // replies from Lua and HGETALL are shaped differently.
        var major = typeof(ConnectionMultiplexer).Assembly.GetName().Version!.Major;
        var protocol = redis.Connection.GetServers().First(s => s.IsConnected).Protocol;
        Assert.Equal(major >= 3 ? RedisProtocol.Resp3 : RedisProtocol.Resp2, protocol);
    }

    [Fact]
    public void Snake_case_json_file_loads_and_unknown_keys_are_errors()
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
