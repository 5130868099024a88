using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RedisSessions.Farm.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Farm.Tests;

/// <summary>The listener in an application's own Generic Host: services.AddRedisSessions(...).AddTerminationListener()
/// with handlers from DI.</summary>
[Collection(FarmCollection.Name)]
public sealed class HostedListenerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Handlers_registered_in_DI_get_every_termination_once_even_when_another_handler_throws()
    {
        await using var redis = await FarmRedis.StartAsync();
        var seen = new Recorder();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["RedisSessions:Configuration"] = redis.Endpoint;
        builder.Configuration["RedisSessions:KeyPrefix"] = "app";
        builder.Services.AddSingleton(seen);
        builder.Services.AddRedisSessions(o =>
            {
                o.InactiveTimeout = TimeSpan.FromSeconds(3);
                o.NodeName = "app-1";
                o.TerminateOnShutdown = true;
            })
            .AddTerminationListener()
            .AddTerminationHandler<ThrowingHandler>()
            .AddTerminationHandler<RecordingHandler>();
        using var host = builder.Build();
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<SessionManager>();
        Assert.True(manager.AutoCleanupRunning);

        var expiring = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            expiring.Add((await manager.CreateSessionAsync($"user-{i}", new Dictionary<string, string> { ["cart"] = $"{i} items" })).SessionId);
        }
        await Eventually.TrueAsync(() => seen.All.Count >= 20, "the handler saw the expired sessions", TimeSpan.FromSeconds(30));
        Assert.Equal(expiring.Order(StringComparer.Ordinal), seen.All.Select(t => t.Session.SessionId).Order(StringComparer.Ordinal));
        Assert.All(seen.All, t => Assert.Equal(TerminationReason.Expired, t.Reason));
        Assert.All(seen.All, t => Assert.Equal($"{t.Session.UserId[5..]} items", t.Session.GetData("cart")));
        using var redisClient = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        Assert.True(await redisClient.GetDatabase().KeyExistsAsync("app:heartbeat:app-1"));

        // Sessions still open when the host stops end with reason Shutdown (TerminateOnShutdown), handled before it exits.
        var open = await manager.CreateSessionAsync("late-user");
        await host.StopAsync();
        var last = Assert.Single(seen.All, t => t.Session.SessionId == open.SessionId);
        Assert.Equal(TerminationReason.Shutdown, last.Reason);
        Assert.False(manager.AutoCleanupRunning);
        Assert.False(await redisClient.GetDatabase().KeyExistsAsync("app:heartbeat:app-1"));
        output.WriteLine($"handled {seen.All.Count} terminations");
    }

    public sealed class Recorder
    {
        private readonly ConcurrentQueue<SessionTermination> _seen = new();

        public IReadOnlyList<SessionTermination> All => _seen.ToArray();

        public void Add(SessionTermination termination) => _seen.Enqueue(termination);
    }

    public sealed class RecordingHandler(Recorder recorder) : ISessionTerminationHandler
    {
        public Task HandleAsync(SessionTermination termination, CancellationToken cancellationToken)
        {
            recorder.Add(termination);
            return Task.CompletedTask;
        }
    }

    public sealed class ThrowingHandler : ISessionTerminationHandler
    {
        public Task HandleAsync(SessionTermination termination, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("this handler always fails");
    }
}
