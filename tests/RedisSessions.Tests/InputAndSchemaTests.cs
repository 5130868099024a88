using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RedisSessions.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Tests;

public abstract class InputAndSchemaTests(RedisFixture redis) : SessionTestBase(redis)
{
    public static TheoryData<string> HostileUserIds => new()
    {
        "{", "}", "{b}", "*", "user:with:colons", "with space", "line\nbreak", "emoji 😀🔥", new string('x', 1024), "a{1a3}b", "%41", "#abc", "\0nul",
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

        // Every key is in the user's tag, and no key is long whatever the id.
        var keys = await Redis.KeysAsync(prefix);
        Assert.All(keys, k => Assert.StartsWith($"{prefix}:{{{TestKeys.Tag(session.SessionId)}}}:", k));
        Assert.All(keys, k => Assert.True(k.Length < 300, $"key too long: {k.Length}"));

        Assert.Equal(1, await manager.TerminateUserSessionsAsync(userId));
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
    }

    [Fact]
    public async Task User_ids_that_cannot_be_stored_faithfully_are_refused_with_an_error_naming_the_problem()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateSessionAsync(new string('x', 1025)));
        Assert.Contains("1024", tooLong.Message);
        // Two ids that differ only in a lone surrogate would both be stored as U+FFFD: the same user.
        var surrogate = await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateSessionAsync("mallory\uD800"));
        Assert.Contains("surrogate", surrogate.Message);
        var data = await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateSessionAsync("mallory", new Dictionary<string, string> { ["k"] = "\uDC00" }));
        Assert.Contains("data value", data.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateSessionAsync("mallory", new Dictionary<string, string> { ["\uD83D"] = "v" }));
        Assert.Empty(await Redis.KeysAsync(prefix));
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
    public async Task The_keys_are_what_redis_cli_users_expect_and_logout_leaves_no_index_entry()
    {
        var prefix = NewPrefix();
        await using var manager = NewManager(prefix);
        var session = await manager.CreateSessionAsync("carol", new Dictionary<string, string> { ["theme"] = "dark" });
        var tag = TestKeys.Tag(session.SessionId);

        // A hash of plain text: times as Unix ms of Redis's clock, the node by name, data under "d:".
        var fields = await FieldsAsync(prefix, session.SessionId);
        Assert.Equal("carol", fields["user"]);
        Assert.Equal("dark", fields["d:theme"]);
        Assert.Equal(session.CreatedAt.ToUnixTimeMilliseconds().ToString(), fields["created"]);
        Assert.Equal(session.CreatedAt.ToUnixTimeMilliseconds().ToString(), fields["last"]);
        Assert.Equal(session.ExpiresAt.ToUnixTimeMilliseconds().ToString(), fields["expires"]);
        Assert.Equal(manager.Options.NodeName, fields["node"]);
        // One sorted set per user, the id readable in its name; the tag's due index lists the user by its earliest expiry.
        var userKey = $"{prefix}:{{{tag}}}:user:carol";
        Assert.Equal(session.ExpiresAt.ToUnixTimeMilliseconds(), (long)(await Db.SortedSetScoreAsync(userKey, session.SessionId))!.Value);
        Assert.Equal(session.ExpiresAt.ToUnixTimeMilliseconds(), (long)(await Db.SortedSetScoreAsync($"{prefix}:{{{tag}}}:due", "carol"))!.Value);
        // The session's hash lives until its expiry plus a grace period of minutes, not a day.
        var ttl = (await Db.KeyTimeToLiveAsync(SessionKey(prefix, session.SessionId)))!.Value;
        Assert.InRange(ttl, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(30) + manager.Options.ExpiredSessionGrace);
        Assert.Equal(
            new[] { SessionKey(prefix, session.SessionId), userKey, $"{prefix}:{{{tag}}}:due", $"{prefix}:{{{tag}}}:sessions", $"{prefix}:{{{tag}}}:wake" }.Order(),
            (await Redis.KeysAsync(prefix)).Order());

        // Logout with nobody to handle it: the snapshot waits for a handler; every index entry is gone.
        await session.TerminateAsync();
        Assert.Equal(new[] { SessionKey(prefix, session.SessionId), $"{prefix}:{{{tag}}}:pending", $"{prefix}:{{{tag}}}:wake" }.Order(), (await Redis.KeysAsync(prefix)).Order());
        var snapshot = await FieldsAsync(prefix, session.SessionId);
        Assert.Equal("terminated", snapshot["reason"]);
        Assert.Equal("0", snapshot["attempt"]);
        Assert.Equal("dark", snapshot["d:theme"]);
    }

    [Fact]
    public async Task Once_a_handler_has_run_only_a_short_lived_notice_of_why_the_session_ended_is_left()
    {
        var prefix = NewPrefix();
        var recorder = new TerminationRecorder();
        await using var manager = NewManager(prefix, o => o.TerminationNoticePeriod = TimeSpan.FromSeconds(30));
        using var _ = manager.RegisterTerminationCallback(recorder.Record);
        var session = await manager.CreateSessionAsync("noel", new Dictionary<string, string> { ["cart"] = "3 items" });
        await session.TerminateAsync();

        Assert.Equal("3 items", Assert.Single(recorder.Seen).Session.GetData("cart"));
        // The notice, and the termination's line in the event stream: nothing else of the session or its user is left.
        Assert.Equal(new[] { $"{prefix}:events", SessionKey(prefix, session.SessionId) }.Order(), (await Redis.KeysAsync(prefix)).Order());
        Assert.Equal(new[] { "ended", "reason" }, (await FieldsAsync(prefix, session.SessionId)).Keys.Order());
        Assert.InRange((await Db.KeyTimeToLiveAsync(SessionKey(prefix, session.SessionId)))!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));
        Assert.Equal(TerminationReason.Terminated, await manager.FindTerminationReasonAsync(session.SessionId));
        Assert.Null(await manager.GetSessionAsync(session.SessionId));
        Assert.False(await manager.UpdateSessionActivityAsync(session.SessionId));
        Assert.Null(await manager.FindTerminationReasonAsync((await manager.CreateSessionAsync("noel")).SessionId)); // live: no reason
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

[Collection(TlsCollection.Name)]
public sealed class TlsInputAndSchemaTests(TlsRedisFixture redis) : InputAndSchemaTests(redis);
