using DotNet.Testcontainers.Configurations;
using RedisSessions.LocalRedis;
using Testcontainers.Redis;

namespace RedisSessions.Testing;

/// <summary>Standalone Redis servers in Docker containers (Testcontainers), configured with <c>deploy/redis.conf</c>.
/// The image is <c>REDIS_SESSIONS_REDIS_IMAGE</c>, else the upstream <see cref="DefaultImage"/>, which a developer's
/// Docker engine pulls by itself; <c>.ci/test</c> brings its own engine and an image made from Debian's redis-server,
/// for machines that reach no image registry (<c>.ci/docker-engine</c>).</summary>
public static class RedisContainers
{
    /// <summary>The upstream image used when <c>REDIS_SESSIONS_REDIS_IMAGE</c> is not set.</summary>
    public const string DefaultImage = "redis:7.4";

    /// <summary>Where <c>deploy/redis.conf</c> is copied inside the container.</summary>
    private const string ConfigDirectory = "/etc/redis-sessions/";

    /// <summary>The image the containers run.</summary>
    public static string Image => Environment.GetEnvironmentVariable("REDIS_SESSIONS_REDIS_IMAGE") is { Length: > 0 } image ? image : DefaultImage;

    /// <summary>Starts a container and waits until <c>redis-cli ping</c> answers inside it; <paramref name="serverArguments"/>
    /// follow deploy/redis.conf on redis-server's command line (e.g. <c>--notify-keyspace-events ""</c>). A container
    /// that can't start throws, naming what to do: the tests that use it fail, nothing is skipped.</summary>
    public static async Task<RedisContainer> StartAsync(params string[] serverArguments)
    {
        RedisContainer? container = null;
        try
        {
            var builder = new RedisBuilder(Image)
                // deploy/redis.conf stays the single source of the server's settings (keyspace events, noeviction,
                // AOF, listpack sizes, slowlog); only what a container needs differs: it listens on every interface
                // of its own network namespace, where Docker forwards the published port, so protected mode is off.
                .WithResourceMapping(new FileInfo(RedisTools.ConfigFile), ConfigDirectory)
                .WithCommand(Command(serverArguments))
                .WithCreateParameterModifier(parameters =>
                {
                    // An open Redis without a password: publish it on the loopback interface only when that is where
                    // the tests reach it, rather than on every interface of the developer's machine.
                    if (parameters.HostConfig?.PortBindings is not { } bindings || !ReachedThroughLoopback())
                    {
                        return;
                    }
                    foreach (var binding in bindings.Values.SelectMany(b => b))
                    {
                        binding.HostIP = "127.0.0.1";
                    }
                });
            // .ci/docker-engine names the run, so it can remove what a crashed test process leaves (no reaper here).
            if (Environment.GetEnvironmentVariable("REDIS_SESSIONS_TEST_RUN") is { Length: > 0 } run)
            {
                builder = builder.WithLabel("redis-sessions.test-run", run);
            }
            container = builder.Build();
            await container.StartAsync().ConfigureAwait(false);
            return container;
        }
        catch (Exception e)
        {
            if (container is not null)
            {
                await container.DisposeAsync().ConfigureAwait(false);
            }
            throw new InvalidOperationException(
                $"The tests' standalone Redis runs in a Docker container (image {Image}), which could not start: {e.Message} " +
                "Start a Docker engine that can run or pull that image (Testcontainers finds it through DOCKER_HOST or the default socket; " +
                "an engine older than API 1.44, such as Debian 12's docker.io, also needs DOCKER_API_VERSION=1.41), " +
                "or run `bash .ci/test`, which starts its own engine when none answers and builds a local Redis image " +
                "(REDIS_SESSIONS_REDIS_IMAGE) from Debian's redis-server for machines that reach no image registry.", e);
        }
    }

    private static string[] Command(string[] serverArguments) =>
        ["redis-server", ConfigDirectory + Path.GetFileName(RedisTools.ConfigFile), "--bind", "0.0.0.0", "--protected-mode", "no", .. serverArguments];

    /// <summary><c>host:port</c> of the container's published Redis port.</summary>
    public static string Endpoint(RedisContainer container) => $"{container.Hostname}:{Port(container)}";

    /// <summary>The host port Docker published for the container's Redis port.</summary>
    public static int Port(RedisContainer container) => container.GetMappedPublicPort(RedisBuilder.RedisPort);

    /// <summary>Whether the tests reach containers on 127.0.0.1: the host override says so, or the engine is local
    /// (a unix socket or named pipe) and the tests don't themselves run inside a container.</summary>
    private static bool ReachedThroughLoopback()
    {
        var host = TestcontainersSettings.DockerHostOverride;
        if (!string.IsNullOrEmpty(host))
        {
            return host is "127.0.0.1" or "localhost";
        }
        var endpoint = TestcontainersSettings.OS?.DockerEndpointAuthConfig?.Endpoint;
        return endpoint?.Scheme is "unix" or "npipe" && !File.Exists("/.dockerenv");
    }
}
