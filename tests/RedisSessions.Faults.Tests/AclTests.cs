using System.Diagnostics;
using System.Net;
using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// Managed-Redis restrictions: an ACL user limited to the prefix's keys, the two channels RedisSessions uses and the
/// commands it sends, with CONFIG, KEYS, INFO and every @dangerous command refused; keyspace notifications turned off;
/// a wrong password; a missing permission. Everything must work under the restrictions, the listener must say once
/// that notifications are off and sessions must still end, and what is refused must be named, in bounded time.
/// <para>
/// The servers are redis-server processes of the test's own, not containers: each is started with an ACL file
/// written by the test (<c>--aclfile</c>) and with its own notify-keyspace-events, and its ACL LOG is read afterwards
/// to see exactly what was refused.
/// </para>
/// </summary>
public sealed class AclTests(ITestOutputHelper output) : IDisposable
{
    private const string Prefix = "acl";
    private readonly List<string> _aclDirectories = [];

    /// <summary>What StackExchange.Redis asks for while it connects and which, refused, it does without (auto-configure:
    /// INFO for the version and role, CONFIG GET for settings, CLUSTER NODES on a standalone server; its tie-breaker
    /// key and its configuration-change channel). They show in ACL LOG and nothing else does.</summary>
    /// <remarks>Also tolerated: SCRIPT LOAD, which StackExchange.Redis sends beside an EVAL of a script's text (the EVAL
    /// itself caches the script on the server), and MEMORY USAGE, which set_session_data.lua asks with pcall (refused,
    /// it counts the data field by field).</remarks>
    private static readonly string[] ToleratedRefusals =
        ["command info", "command config|get", "command cluster|nodes", "key __Booksleeve_TieBreak", "channel __Booksleeve_MasterChanged", "command script|load", "command memory|usage"];

    [Theory]
    [InlineData("minimal")]
    [InlineData("categories")]
    public async Task Every_operation_works_for_a_user_limited_to_the_prefix(string acl)
    {
        var figures = new Figures(output, nameof(Every_operation_works_for_a_user_limited_to_the_prefix) + "(" + acl + ")");
        var user = acl == "minimal" ? AclUsers.User("sessions", Prefix, AclUsers.MinimalCommands) : AclUsers.CategoryUser("sessions", Prefix);
        figures.Add("acl", user.Replace(AclUsers.Password, "…", StringComparison.Ordinal));
        await using var server = await StartAsync([user]);
        using var admin = await AdminAsync(server);
        var logs = new LogCapture(output, "app");
        var log = new TerminationLog(new Timeline());
        await using (var app = await SessionManager.ConnectAsync(Configuration(server, "sessions"), Options(), logs))
        {
            app.RegisterTerminationCallback(log.Handler("app"));
            await ContractSlice.RunAsync(app, log);
            // The listener runs under the restrictions: its probe's event arrived (it did not warn).
            await Eventually.TrueAsync(() => logs.WithId(110).Any(e => e.Message.Contains(server.Endpoint, StringComparison.Ordinal)), "the listener listens");
            Assert.Empty(logs.WithId(115));
        }

        var refusals = await RefusalsAsync(admin, "sessions");
        figures.Add("refused_and_tolerated", string.Join(", ", refusals.Distinct()));
        Assert.All(refusals, r => Assert.Contains(r, ToleratedRefusals));

        // What a managed Redis refuses is refused to this user.
        using var restricted = await ConnectionMultiplexer.ConnectAsync(Configuration(server, "sessions"));
        var db = restricted.GetDatabase();
        foreach (var command in new[] { new object[] { "CONFIG", "GET", "maxmemory" }, ["KEYS", "*"], ["INFO"], ["FLUSHALL"], ["SAVE"], ["GET", "other:key"] })
        {
            var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync((string)command[0], command.Skip(1).ToArray()));
            Assert.StartsWith("NOPERM", error.Message, StringComparison.Ordinal);
        }
        figures.Publish();
    }

    [Fact]
    public async Task With_notifications_off_the_listener_says_so_once_and_every_session_still_ends()
    {
        var figures = new Figures(output, nameof(With_notifications_off_the_listener_says_so_once_and_every_session_still_ends));
        await using var server = await StartAsync([AclUsers.User("sessions", Prefix, AclUsers.MinimalCommands)], "--notify-keyspace-events", "");
        using var admin = await AdminAsync(server);
        await using var monitor = await ProbeMonitor.StartAsync(server, Prefix);
        await using var clock = await RedisClockEstimate.StartAsync(admin);
        var logs = new LogCapture(output, "app");
        var log = new TerminationLog(new Timeline(), clock);
        await using var app = await SessionManager.ConnectAsync(Configuration(server, "sessions"), Options(inactiveSeconds: 2), logs);
        app.RegisterTerminationCallback(log.Handler("app"));

        var sessions = new List<Session>();
        for (var i = 0; i < 20; i++)
        {
            sessions.Add(await app.CreateSessionAsync("user-" + i));
        }
        // Every session ends through the due index and the deadline schedule (no expired event ever arrives).
        await Eventually.TrueAsync(() => sessions.All(s => log.Count(s.SessionId) == 1), "every session reached its callback", TimeSpan.FromSeconds(30));
        Assert.All(sessions, s => Assert.Equal(TerminationReason.Expired, log.For(s.SessionId)[0].Reason));
        var latencies = sessions.Select(s => log.For(s.SessionId)[0].LatencyMs).Order().ToArray();
        figures.Add("expiry_to_callback_ms_p50", latencies[latencies.Length / 2]);
        figures.Add("expiry_to_callback_ms_max", latencies[^1]);

        // The listener probed at start (and once more after taking its subscription anew), warned, and probes again
        // every 10 s: it said so once.
        await Eventually.TrueAsync(() => monitor.Probes >= 3, "the listener probed again after its first warning", TimeSpan.FromSeconds(30), () => $"{monitor.Probes} probes");
        var warnings = logs.WithId(115);
        figures.Add("probes_seen", monitor.Probes);
        figures.Add("warnings", warnings.Count);
        Assert.Single(warnings);
        Assert.Contains("notify-keyspace-events", warnings[0].Message);
        Assert.Contains(server.Endpoint, warnings[0].Message);
        figures.Publish();
    }

    [Fact]
    public async Task A_wrong_password_is_named_in_bounded_time()
    {
        var figures = new Figures(output, nameof(A_wrong_password_is_named_in_bounded_time));
        await using var server = await StartAsync([AclUsers.User("sessions", Prefix, AclUsers.MinimalCommands)]);
        var configuration = Configuration(server, "sessions").Replace(AclUsers.Password, "wrong", StringComparison.Ordinal);
        var clock = Stopwatch.StartNew();
        await using var app = await SessionManager.ConnectAsync(configuration, Options(autoCleanup: false));
        // Every call fails within its timeout; the error names the credentials once the server has refused them (the
        // first call may meet a connection attempt that had not got that far).
        var (error, attempts) = await Calls.UntilNamedAsync(() => app.CreateSessionAsync("ada"), "credentials", clock, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5));
        output.WriteLine(error.Message);
        figures.Add("answer_s", clock.Elapsed);
        figures.Add("calls_until_named", attempts);
        figures.Add("message", error.Message.Length > 200 ? error.Message[..200] + "…" : error.Message);
        var named = error.Message.Contains("credentials", StringComparison.Ordinal);
        figures.Add("named", named);
        figures.Publish();
        Assert.True(named, $"the refusal was not named: {error.Message}");
        Assert.StartsWith("Redis refused the connection (create was not applied, or applied whole): Redis did not accept this connection's credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("password", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The client's first attempts lose their sockets before Redis answers (a busy machine or network), and
    /// only then does Redis refuse the password. StackExchange.Redis puts in a call's error the first failure since the
    /// connection was last up, here the lost socket, every time: the refusal must still be named.</summary>
    [Fact]
    public async Task A_wrong_password_is_named_when_the_first_attempts_lost_their_socket()
    {
        var figures = new Figures(output, nameof(A_wrong_password_is_named_when_the_first_attempts_lost_their_socket));
        await using var server = await StartAsync([AclUsers.User("sessions", Prefix, AclUsers.MinimalCommands)]);
        // Every attempt of both the client's connections (commands and subscriptions) is reset until each has failed
        // at least once that way (they retry about once a second); then the attempts reach Redis, which refuses them.
        await using var front = new DroppingForwarder(new IPEndPoint(IPAddress.Loopback, server.Port));
        var configuration = $"{front.Endpoint},user=sessions,password=wrong,abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";
        var clock = Stopwatch.StartNew();
        await using var app = await SessionManager.ConnectAsync(configuration, Options(autoCleanup: false));
        await Eventually.TrueAsync(() => front.Dropped >= 4, "the first attempts were reset", TimeSpan.FromSeconds(30), () => $"{front.Dropped} reset");
        front.PassThrough();
        // Each call fails within its timeout; once Redis has seen and refused an attempt, the error names it.
        var (error, attempts) = await Calls.UntilNamedAsync(() => app.CreateSessionAsync("ada"), "credentials", clock, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        output.WriteLine(error.Message);
        figures.Add("answer_s", clock.Elapsed);
        figures.Add("calls_until_named", attempts);
        figures.Publish();
        // Redis did see the wrong password: the refusal came from it, not from the front.
        using var admin = await AdminAsync(server);
        Assert.Contains(await RefusalsAsync(admin, "sessions"), r => r.StartsWith("auth", StringComparison.Ordinal));
        Assert.StartsWith("Redis refused the connection (create was not applied, or applied whole): Redis did not accept this connection's credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("password", error.Message, StringComparison.Ordinal);
        // And the name came from what the library heard, not from the call's own error: that one carries only the
        // lost sockets, as on the busy CI machine.
        Assert.DoesNotContain(Chain(error.InnerException), e => e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure });
    }

    private static IEnumerable<Exception> Chain(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>A permission missing for a command the library sends (EVALSHA: NOPERM) and for one a script calls (ZADD
    /// in create_session.lua: Redis answers with an ERR of its own, not NOPERM).</summary>
    [Theory]
    [InlineData("+evalsha", "NOPERM this user has no permissions to run the 'evalsha' command")]
    [InlineData("+zadd", "can't run this command or subcommand")]
    public async Task A_missing_permission_is_named_in_bounded_time(string missing, string named)
    {
        var figures = new Figures(output, nameof(A_missing_permission_is_named_in_bounded_time) + "(" + missing + ")");
        await using var server = await StartAsync([AclUsers.User("lacking", Prefix, AclUsers.MinimalCommands.Where(c => c != missing))]);
        await using var app = await SessionManager.ConnectAsync(Configuration(server, "lacking"), Options(autoCleanup: false));
        var (error, took) = await Calls.FailsAsync<SessionStoreUnavailableException>(() => app.CreateSessionAsync("ada"));
        output.WriteLine(error.Message);
        figures.Add("answer_s", took);
        figures.Add("message", error.Message.Length > 200 ? error.Message[..200] + "…" : error.Message);
        Assert.True(took < TimeSpan.FromSeconds(5), $"the answer took {took}");
        Assert.StartsWith("Redis refused create for this connection's user: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message);
        Assert.Contains("An ACL user for RedisSessions needs", error.Message);
        figures.Publish();
    }

    /// <summary>The ACL LOG entries of <paramref name="user"/>, as "reason object" ("command info", "key x").</summary>
    private static async Task<List<string>> RefusalsAsync(ConnectionMultiplexer admin, string user)
    {
        var entries = (RedisResult[])(await admin.GetServers()[0].ExecuteAsync("ACL", "LOG", "128"))!;
        var refusals = new List<string>();
        foreach (var entry in entries)
        {
            var fields = (RedisResult[])entry!;
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                map[fields[i].ToString()] = fields[i + 1].ToString();
            }
            if (map.GetValueOrDefault("username") == user)
            {
                refusals.Add($"{map["reason"]} {map["object"]}");
            }
        }
        return refusals;
    }

    /// <summary>Starts a server with an ACL file holding <paramref name="users"/>, then turns its default user off, as a
    /// managed Redis has it: a connection that does not authenticate as a user can do nothing.</summary>
    private async Task<RedisServerProcess> StartAsync(string[] users, params string[] arguments)
    {
        var directory = Path.Combine(Path.GetTempPath(), "redis-sessions-acl-" + Guid.NewGuid().ToString("N")[..8]);
        _aclDirectories.Add(directory);
        var file = AclUsers.WriteFile(directory, users);
        var server = await RedisServerProcess.StartAsync(["--aclfile", file, .. arguments]);
        using var admin = await AdminAsync(server);
        await admin.GetServers()[0].ExecuteAsync("ACL", "SETUSER", "default", "off");
        return server;
    }

    public void Dispose()
    {
        foreach (var directory in _aclDirectories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static Task<ConnectionMultiplexer> AdminAsync(RedisServerProcess server) =>
        ConnectionMultiplexer.ConnectAsync($"{server.Endpoint},user=admin,password={AclUsers.AdminPassword},allowAdmin=true");

    private static string Configuration(RedisServerProcess server, string user) =>
        $"{server.Endpoint},user={user},password={AclUsers.Password},abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    /// <summary>Sessions live <paramref name="inactiveSeconds"/> without activity: long enough that none expires
    /// while <see cref="ContractSlice"/> checks them on 2 busy cores.</summary>
    private static SessionOptions Options(bool autoCleanup = true, int inactiveSeconds = 10) => new()
    {
        KeyPrefix = Prefix,
        NodeName = "app",
        InactiveTimeout = TimeSpan.FromSeconds(inactiveSeconds),
        MaxSessionsPerUser = 2,
        EnableAutoCleanup = autoCleanup,
    };
}
