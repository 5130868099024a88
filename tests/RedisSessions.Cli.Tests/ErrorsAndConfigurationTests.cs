using RedisSessions.Cli.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Cli.Tests;

[Collection(StandaloneCollection.Name)]
public sealed class ErrorsAndConfigurationTests(StandaloneRedisFixture redis) : CliTestBase(redis)
{
    private static int PortNobodyListensOn() => LoopbackPorts.Free();

    private static void AssertOneLineNoStackTrace(CliResult result)
    {
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("redis-sessions: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_redis_exits_3_with_one_line_for_every_command()
    {
        var target = $"127.0.0.1:{PortNobodyListensOn()}";
        var commands = new[]
        {
            new[] { "stats" }, ["list"], ["list", "--json"], ["show", "0a1QQQQQQQQQQQQQQQQQQQQQQ"], ["terminate", "--user", "u"],
            ["cleanup", "--yes"], ["events"], ["doctor"],
        };

        var results = await Task.WhenAll(commands.Select(c => CliRunner.RunAsync([.. c, "--redis", target])));

        foreach (var result in results)
        {
            Assert.True(result.ExitCode == 3, result.ToString());
            Assert.Equal(string.Empty, result.Stdout);
            AssertOneLineNoStackTrace(result);
            Assert.Contains($"cannot reach Redis at {target}", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("list", "--bogus")]
    [InlineData("frobnicate")]
    [InlineData("list", "--idle-over", "banana")]
    [InlineData("list", "--limit", "0")]
    [InlineData("show")]
    [InlineData("events", "--count", "many")]
    [InlineData("events", "--count", "-5")]
    [InlineData("list", "--limit", "abc")]
    [InlineData("events", "--follow", "--poll-interval", "soon")]
    [InlineData("stats", "--prefix", "bad{prefix}")]
    [InlineData("stats", "--redis", "redis://:pw@")]
    [InlineData("list", "--user", "")]
    [InlineData("events", "--follow", "--poll-interval", "0s")]
    [InlineData("list", "--inactive-timeout", "banana")]
    public async Task Usage_errors_exit_2_with_a_message_and_no_stack_trace(params string[] arguments)
    {
        var result = await CliRunner.RunAsync([.. arguments.Contains("--redis") ? arguments : [.. arguments, "--redis", Redis.Configuration]]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        Assert.StartsWith("redis-sessions: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_command_is_a_usage_error_and_help_succeeds()
    {
        var none = await CliRunner.RunAsync();
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--help", none.Stderr, StringComparison.Ordinal);

        var help = await CliRunner.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("redis-sessions [command] [options]", help.Stdout, StringComparison.Ordinal);
        foreach (var command in new[] { "stats", "list", "show", "terminate", "cleanup", "events", "doctor" })
        {
            Assert.Matches($@"(?m)^\s+{command}\b", help.Stdout);
        }
    }

    [Fact]
    public async Task Inactive_timeout_is_still_accepted_but_ignored_with_a_note()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("lea");
        await BackdateActivityAsync(prefix, session.SessionId, TimeSpan.FromMinutes(20));

        var result = await CliAsync(prefix, "list", "--json", "--inactive-timeout", "5m");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("redis-sessions: note: --inactive-timeout is ignored (sessions store their last activity).", result.Stderr.Trim());
        Assert.InRange(result.Json().GetProperty("sessions")[0].GetProperty("idle_seconds").GetDouble(), 1199, 1260);
        Assert.DoesNotContain("--inactive-timeout", (await CliRunner.RunAsync("--help")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redis_that_goes_away_mid_command_exits_3_with_one_line()
    {
        var server = await RedisContainers.StartAsync();
        try
        {
            var endpoint = RedisContainers.Endpoint(server);
            using var follow = CliRunner.Start("events", "--follow", "--poll-interval", "50ms", "--redis", endpoint, "--prefix", NewPrefix());
            await Eventually.TrueAsync(() => follow.Lines.Count >= 1, "the header is printed", TimeSpan.FromSeconds(30), follow.ToString);

            await server.StopAsync();

            Assert.Equal(3, await follow.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            var line = Assert.Single(follow.Errors, l => l.Length > 0);
            Assert.StartsWith($"redis-sessions: cannot reach Redis at {endpoint}", line, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Redis_and_prefix_come_from_REDIS_URL_and_appsettings_when_not_given()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("sara");

        var fromUrl = await CliRunner.RunAsync(new CliRun(["list", "--json", "--prefix", prefix])
        {
            Environment = { ["REDIS_URL"] = $"redis://{Redis.Configuration}/0" },
        });
        Assert.True(fromUrl.ExitCode == 0, fromUrl.ToString());
        Assert.Equal(session.SessionId, fromUrl.Json().GetProperty("sessions")[0].GetProperty("session_id").GetString());

        var directory = Directory.CreateTempSubdirectory("redis-sessions-cli-appsettings-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "appsettings.json"),
                $$"""{ "RedisSessions": { "Configuration": "{{Redis.Configuration}}", "KeyPrefix": "{{prefix}}" } }""");
            var fromSettings = await CliRunner.RunAsync(new CliRun(["show", session.SessionId, "--json"]) { WorkingDirectory = directory.FullName });
            Assert.True(fromSettings.ExitCode == 0, fromSettings.ToString());
            Assert.Equal("sara", fromSettings.Json().GetProperty("user_id").GetString());

            // The command line wins over both.
            var overridden = await CliRunner.RunAsync(new CliRun(["show", session.SessionId, "--prefix", "elsewhere"]) { WorkingDirectory = directory.FullName });
            Assert.Equal(1, overridden.ExitCode);

            var fromEnvironment = await CliRunner.RunAsync(new CliRun(["list", "--json"])
            {
                Environment = { ["RedisSessions__Configuration"] = Redis.Configuration, ["RedisSessions__KeyPrefix"] = prefix },
            });
            Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
            Assert.Equal(1, fromEnvironment.Json().GetProperty("count").GetInt32());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
