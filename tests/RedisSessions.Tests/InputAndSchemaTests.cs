using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

public abstract class InputAndSchemaTests(RedisFixture redis) : SessionTestBase(redis)
{
    public static TheoryData<string> HostileUserIds => new()
    {
        "{", "}", "{b}", "*", "user:with:colons", "with space", "line\nbreak", "emoji 😀🔥", new string('x', 10 * 1024), "a{1a3}b",
    };

    [Theory]
    [MemberData(nameof(HostileUserIds))]
    public async Task Any_user_id_is_stored_safely_and_touches_only_its_own_bucket(string userId)
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync(userId, new Dictionary<string, string> { ["{k}*\n😀"] = "v\r\n{x}" });

        var loaded = await manager.GetSessionAsync(session.SessionId);
        Assert.Equal(userId, loaded!.UserId);
        Assert.Equal("v\r\n{x}", loaded.GetData("{k}*\n😀"));
        Assert.Equal([session.SessionId], (await manager.GetUserSessionsAsync(userId)).Select(s => s.SessionId));

        // Every key but the farm-wide node registry is in the user's bucket.
        var keys = (await Redis.KeysAsync(prefix)).Where(k => k != $"{prefix}:nodes").ToList();
        Assert.All(keys, k => Assert.StartsWith($"{prefix}:{{{Bucket(session.SessionId)}}}:", k));
        Assert.All(keys, k => Assert.True(k.Length < 200, $"key too long: {k.Length}"));

        Assert.Equal(1, await manager.TerminateUserSessionsAsync(userId));
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public async Task Empty_or_blank_ids_are_argument_errors(string blank)
    {
        await using var manager = NewManager(NewPrefix());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.CreateSessionAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.GetSessionAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.PeekSessionAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.UpdateSessionActivityAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.TerminateSessionAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.TerminateUserSessionsAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.GetUserSessionsAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.RotateSessionIdAsync(blank));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.CreateSessionAsync(null!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.GetSessionAsync(null!));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("{abc}")]
    [InlineData("../../etc/passwd")]
    [InlineData("0000000000000000000000000")]
    [InlineData("fff0123456789012345678901")]
    public async Task Forged_session_ids_find_nothing_and_write_nothing(string forged)
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var real = await manager.CreateSessionAsync("alice");
        var before = (await Redis.KeysAsync(prefix)).Order().ToList();

        Assert.Null(await manager.GetSessionAsync(forged));
        Assert.False(await manager.UpdateSessionActivityAsync(forged));
        Assert.False(await manager.TerminateSessionAsync(forged));
        Assert.False(await manager.SetSessionDataAsync(forged, new Dictionary<string, string> { ["a"] = "b" }));

        Assert.Equal(before, (await Redis.KeysAsync(prefix)).Order().ToList());
        Assert.NotNull(await manager.GetSessionAsync(real.SessionId));
    }

    [Fact]
    public async Task Data_over_the_size_limit_is_refused_and_nothing_is_written()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxDataBytes = 1000);
        var huge = new Dictionary<string, string> { ["blob"] = new string('x', 2000) };

        var refused = await Assert.ThrowsAsync<SessionDataTooLargeException>(() => manager.CreateSessionAsync("bob", huge));
        Assert.Contains("MaxDataBytes", refused.Message);
        Assert.Empty(await Redis.KeysAsync(prefix));

        var session = await manager.CreateSessionAsync("bob", new Dictionary<string, string> { ["a"] = new string('a', 600) });
        // 600 + 500 together are over the limit even though each fits: checked inside Redis against what is stored.
        await Assert.ThrowsAsync<SessionDataTooLargeException>(() => session.SetDataAsync("b", new string('b', 500)));
        var stored = await manager.PeekSessionAsync(session.SessionId);
        Assert.Equal(["a"], stored!.Data.Keys);
        await session.SetDataAsync("a", new string('c', 900)); // replacing a value counts only the new one
        Assert.Equal(900, (await manager.PeekSessionAsync(session.SessionId))!.GetData("a")!.Length);
    }

    [Fact]
    public async Task The_size_limit_holds_for_numeric_values_that_redis_stores_in_fewer_bytes_than_they_have()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix, o => o.MaxDataBytes = 2800);
        // 100 values of 19 digits: 2,300 bytes of data that Redis packs as integers into about 1,600.
        var numbers = Enumerable.Range(0, 100).ToDictionary(i => $"n{i:000}", i => (1234567890123456700L + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var session = await manager.CreateSessionAsync("nina", numbers);

        await Assert.ThrowsAsync<SessionDataTooLargeException>(() => session.SetDataAsync("x", new string('x', 600)));
        Assert.Null((await manager.PeekSessionAsync(session.SessionId))!.GetData("x"));
        await session.SetDataAsync("x", new string('x', 400));
        Assert.Equal(101, (await manager.PeekSessionAsync(session.SessionId))!.Data.Count);
    }

    [Fact]
    public async Task Ids_are_url_safe_unique_and_carry_128_random_bits()
    {
        await using var manager = NewManager(NewPrefix(), o => o.MaxSessionsPerUser = 0);
        var ids = new HashSet<string>();
        for (var i = 0; i < 300; i++)
        {
            ids.Add((await manager.CreateSessionAsync($"u{i % 7}")).SessionId);
        }
        Assert.Equal(300, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-3][0-9a-f]{2}[A-Za-z0-9_-]{22}$", id));
        // The random part differs in most positions between any two ids of the same user.
        var sameUser = (await manager.GetUserSessionsAsync("u0")).Select(s => s.SessionId[3..]).ToList();
        Assert.True(sameUser.Zip(sameUser.Skip(1)).All(p => p.First.Zip(p.Second).Count(c => c.First != c.Second) > 10));
    }

    [Fact]
    public async Task Every_per_session_key_has_a_ttl_fields_are_plain_text_and_logout_leaves_no_index_entry()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("carol", new Dictionary<string, string> { ["theme"] = "dark" });
        var bucketBase = $"{prefix}:{{{Bucket(session.SessionId)}}}:";

        // Plain text anyone can read with redis-cli: u user, c created (Unix ms), e expiry (ms after c), n node id
        // (named in {prefix}:nodes), data under a '.'.
        var fields = (await Db.HashGetAllAsync(SessionKey(prefix, session.SessionId))).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        Assert.Equal("carol", fields["u"]);
        Assert.Equal("dark", fields[".theme"]);
        Assert.Equal(session.CreatedAt.ToUnixTimeMilliseconds().ToString(), fields["c"]);
        Assert.Equal((session.ExpiresAt - session.CreatedAt).TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), fields["e"]);
        Assert.Equal(manager.Options.NodeName, (string?)await Db.HashGetAsync($"{prefix}:nodes", fields["n"]));
        Assert.Equal(session.SessionId, (string?)await Db.HashGetAsync(bucketBase + "users", "carol"));

        // Only the bucket's shared structures (one entry per user) and the node registry live without a TTL.
        var shared = new[] { bucketBase + "users", bucketBase + "expiry", bucketBase + "count", $"{prefix}:nodes" };
        foreach (var key in await Redis.KeysAsync(prefix))
        {
            var ttl = await Db.KeyTimeToLiveAsync(key);
            Assert.True(shared.Contains(key) || ttl is not null, $"{key} has no TTL");
        }

        await session.TerminateAsync();
        var left = await Redis.KeysAsync(prefix);
        Assert.DoesNotContain(left, k => k.EndsWith(":expiry", StringComparison.Ordinal) || k.EndsWith(":users", StringComparison.Ordinal)
            || k.EndsWith(":count", StringComparison.Ordinal) || k.Contains(":session:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_name_sessions_and_users_but_never_data_values()
    {
        var prefix = NewPrefix();
        var logger = new ListLogger();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, logger: logger);
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("dave", new Dictionary<string, string> { ["password"] = "s3cr3t-value" });
        await session.SetDataAsync("card", "4111-1111-1111-1111");
        await session.TerminateAsync();

        Assert.Contains(logger.Lines, l => l.Contains(session.SessionId, StringComparison.Ordinal) && l.Contains("created", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Contains(session.SessionId, StringComparison.Ordinal) && l.Contains("terminated", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, l => l.Contains("s3cr3t", StringComparison.Ordinal) || l.Contains("4111", StringComparison.Ordinal));
    }

    private sealed class ListLogger : ILogger<SessionManager>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => _lines.ToArray();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception) + " " + string.Join(",", (state as IEnumerable<KeyValuePair<string, object?>> ?? []).Select(p => $"{p.Key}={p.Value}")));
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneInputAndSchemaTests(StandaloneRedisFixture redis) : InputAndSchemaTests(redis);

[Collection(ClusterCollection.Name)]
public sealed class ClusterInputAndSchemaTests(ClusterRedisFixture redis) : InputAndSchemaTests(redis);
