using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RedisSessions.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Tests;

/// <summary>
/// Property-based: random sequences of every public operation, with hostile user ids, session ids and data (empty,
/// huge, control characters, braces, colons, invalid UTF-16), run against real Redis and compared after every step
/// with a simple model of what a user of the store expects. Checked each time: no exception but the documented ones,
/// never more live sessions than the limit, the model's sessions and data are what Redis returns; at the end, every
/// ended session's callback ran exactly once and, once everything has ended, no key is left behind. A failing
/// sequence is shrunk by FsCheck to a short one, printed with the seed to replay it.
/// </summary>
public abstract class ModelFuzzTests(RedisFixture redis, ITestOutputHelper output) : SessionTestBase(redis)
{
    private const int Limit = 3;
    private const int MaxDataBytes = 4096;

    private static readonly string[] Users =
    [
        "alice", "bob", "{tag}", "a:b:c", "with space", "ctl\u0001\u0002", "emoji 😀", "%41", "#hash", new string('u', 1000),
        // refused with an ArgumentException, never stored:
        "", "  ", "lone\uD800", new string('x', 1025),
    ];

    private static readonly string[] Keys = ["k", "", "{brace}", "c:o:l", "line\nbreak", "😀", "bad\uDC00"];

    private static readonly string[] Values = ["v", "", "{x}", "\r\n\t\0", "😀🔥", new string('h', 1500), new string('H', 5000), "lone\uD83D"];

    private static readonly string[] ForgedIds = ["000AAAAAAAAAAAAAAAAAAAAAA", "{1a3}", "*", " ", "3ffzzzzzzzzzzzzzzzzzzzzzz", "fffAAAAAAAAAAAAAAAAAAAAAA"];

    [Fact]
    public void Random_operation_sequences_behave_like_the_model()
    {
        // Most logins go to two users, so limits and evictions come up in most runs; every other id still appears.
        var users = Gen.Frequency((6, Gen.Choose(0, 1)), (4, Gen.Choose(0, Users.Length - 1)));
        var operations = Gen.Frequency(
            (5, from u in users
            from k in Gen.Choose(0, Keys.Length - 1)
            from v in Gen.Choose(0, Values.Length - 1)
            select new Op(OpKind.Create, u, k, v, 0)),
            (4, Gen.Elements(OpKind.Get, OpKind.Peek, OpKind.Touch, OpKind.Terminate, OpKind.Rotate, OpKind.RemoveData)
                .SelectMany(kind => Gen.Choose(-ForgedIds.Length, 40), (kind, s) => new Op(kind, 0, 1, 0, s))
                .SelectMany(op => Gen.Choose(0, Keys.Length - 1), (op, k) => op with { Key = k })),
            (3, from s in Gen.Choose(-ForgedIds.Length, 40)
            from k in Gen.Choose(0, Keys.Length - 1)
            from v in Gen.Choose(0, Values.Length - 1)
            from viaSession in Gen.Elements(true, false)
            select new Op(viaSession ? OpKind.SetData : OpKind.SetSessionData, 0, k, v, s)),
            (1, from u in users
            from s in Gen.Choose(-1, 40)
            from kind in Gen.Elements(OpKind.List, OpKind.TerminateUser)
            select new Op(kind, u, 0, 0, s)),
            (1, Gen.Elements(new Op(OpKind.Stats, 0, 0, 0, 0), new Op(OpKind.Cleanup, 0, 0, 0, 0))));
        var runs = from policy in Gen.Elements(SessionLimitPolicy.EvictOldest, SessionLimitPolicy.RejectNew)
                   from ops in Gen.ListOf(operations)
                   select new Run(policy, ops.ToArray());
        var arbitrary = Arb.From(runs, Shrink);
        var property = Prop.ForAll(arbitrary, run => Task.Run(() => ExecuteAsync(run)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100).WithEndSize(40), property);
        output.WriteLine($"{Redis.Topology}: {_sequences} sequences, {_operations} operations, {_sessions} sessions " +
                         $"({_rotations} id rotations), {_callbacks} callbacks (each session's exactly once), no key left behind");
    }

    // What the passing sequences covered, for the test's output (shrinking runs count too).
    private int _sequences, _operations, _sessions, _rotations, _callbacks;

    /// <summary>Shorter sequences first: without each operation in turn.</summary>
    private static IEnumerable<Run> Shrink(Run run)
    {
        for (var i = 0; i < run.Ops.Length; i++)
        {
            yield return run with { Ops = [.. run.Ops[..i], .. run.Ops[(i + 1)..]] };
        }
    }

    private async Task ExecuteAsync(Run run)
    {
        var prefix = NewPrefix() + "-" + Guid.NewGuid().ToString("N")[..6];
        var recorder = new TerminationRecorder();
        var model = new Model();
        var log = new StringBuilder($"policy {run.Policy}\n");
        await using (var manager = NewManager(prefix, o =>
        {
            o.MaxSessionsPerUser = Limit;
            o.LimitPolicy = run.Policy;
            o.MaxDataBytes = MaxDataBytes;
            o.TerminationNoticePeriod = TimeSpan.Zero;
            o.EventStreamMaxLength = 0;
        }))
        {
            using var registration = manager.RegisterTerminationCallback(recorder.Record);
            try
            {
                foreach (var op in run.Ops)
                {
                    log.Append(op).Append('\n');
                    await StepAsync(manager, model, recorder, op);
                    await CheckAsync(manager, model);
                }
                // Everything ends: every session's callback ran exactly once, and nothing is left in Redis.
                foreach (var user in model.Sessions.Values.Where(s => !s.Ended).Select(s => s.User).Distinct(StringComparer.Ordinal).ToList())
                {
                    var live = model.Live(user).ToList();
                    Assert.Equal(live.Count, await manager.TerminateUserSessionsAsync(user));
                    live.ForEach(s => s.End(TerminationReason.Terminated));
                }
                foreach (var session in model.Sessions.Values.Where(s => s.Ended))
                {
                    var seen = recorder.For(session.Id);
                    Assert.True(seen.Count == 1, $"{session.Id} of {Show(session.User)} ended as {session.Reason}: {seen.Count} callback(s)");
                    Assert.Equal(session.Reason, seen[0].Reason);
                    Assert.Equal(session.Data, seen[0].Session.Data);
                }
                Assert.Equal(model.Sessions.Values.Count(s => s.Ended), recorder.Seen.Count);
                Assert.Empty(await Redis.KeysAsync(prefix));
                Interlocked.Increment(ref _sequences);
                Interlocked.Add(ref _operations, run.Ops.Length);
                Interlocked.Add(ref _sessions, model.Sessions.Values.Count(s => !s.Rotated));
                Interlocked.Add(ref _rotations, model.Sessions.Values.Count(s => s.Rotated));
                Interlocked.Add(ref _callbacks, recorder.Seen.Count);
            }
            catch (Exception ex)
            {
                output.WriteLine($"Failing sequence on {Redis.Topology}:\n{log}");
                throw new InvalidOperationException($"{ex.Message}\nSequence:\n{log}", ex);
            }
        }
    }

    private static async Task StepAsync(SessionManager manager, Model model, TerminationRecorder recorder, Op op)
    {
        switch (op.Kind)
        {
            case OpKind.Create:
            {
                var user = Users[op.User];
                var data = new Dictionary<string, string> { [Keys[op.Key]] = Values[op.Value] };
                if (!IsValidUser(user) || !IsValidText(Keys[op.Key]) || !IsValidText(Values[op.Value]))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.CreateSessionAsync(user, data));
                    return;
                }
                if (Size(data) > MaxDataBytes)
                {
                    await Assert.ThrowsAsync<SessionDataTooLargeException>(() => manager.CreateSessionAsync(user, data));
                    return;
                }
                var live = model.Live(user).ToList();
                if (live.Count >= Limit && manager.Options.LimitPolicy == SessionLimitPolicy.RejectNew)
                {
                    await Assert.ThrowsAsync<SessionLimitExceededException>(() => manager.CreateSessionAsync(user, data));
                    return;
                }
                var before = recorder.Seen.Count;
                var created = await manager.CreateSessionAsync(user, data);
                var model_ = model.Add(created, user, data);
                model_.ExpiresMs = created.ExpiresAt.ToUnixTimeMilliseconds();
                if (live.Count >= Limit)
                {
                    // The least recently active one went (its expiry the lowest; ties within a millisecond either way).
                    var evicted = Assert.Single(recorder.Seen.Skip(before));
                    Assert.Equal(TerminationReason.Evicted, evicted.Reason);
                    var lowest = live.Min(s => s.ExpiresMs);
                    var victim = live.Single(s => s.Id == evicted.Session.SessionId);
                    Assert.Equal(lowest, victim.ExpiresMs);
                    victim.End(TerminationReason.Evicted);
                }
                else
                {
                    Assert.Equal(before, recorder.Seen.Count);
                }
                return;
            }
            case OpKind.Get:
            {
                var (id, session) = model.Pick(op.Session, ForgedIds);
                if (string.IsNullOrWhiteSpace(id))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.GetSessionAsync(id));
                    return;
                }
                var loaded = await manager.GetSessionAsync(id);
                if (session is null or { Ended: true })
                {
                    Assert.Null(loaded);
                    return;
                }
                Assert.NotNull(loaded);
                Assert.Equal(session.User, loaded.UserId);
                Assert.Equal(session.Data, loaded.Data);
                session.Handle = loaded;
                session.ExpiresMs = loaded.ExpiresAt.ToUnixTimeMilliseconds();
                return;
            }
            case OpKind.Peek:
            {
                var (id, session) = model.Pick(op.Session, ForgedIds);
                if (string.IsNullOrWhiteSpace(id))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.PeekSessionAsync(id));
                    return;
                }
                var peeked = await manager.PeekSessionAsync(id);
                Assert.Equal(session is { Ended: false }, peeked is not null);
                if (peeked is not null)
                {
                    Assert.Equal(session!.Data, peeked.Data);
                    Assert.Equal(session.ExpiresMs, peeked.ExpiresAt.ToUnixTimeMilliseconds());
                }
                return;
            }
            case OpKind.Touch:
            {
                var (id, session) = model.Pick(op.Session, ForgedIds);
                if (string.IsNullOrWhiteSpace(id))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.UpdateSessionActivityAsync(id));
                    return;
                }
                Assert.Equal(session is { Ended: false }, await manager.UpdateSessionActivityAsync(id));
                await model.RefreshExpiryAsync(manager, session);
                return;
            }
            case OpKind.Terminate:
            {
                var (id, session) = model.Pick(op.Session, ForgedIds);
                if (string.IsNullOrWhiteSpace(id))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.TerminateSessionAsync(id));
                    return;
                }
                var live = session is { Ended: false };
                Assert.Equal(live, await manager.TerminateSessionAsync(id));
                if (live)
                {
                    session!.End(TerminationReason.Terminated);
                }
                return;
            }
            case OpKind.Rotate:
            {
                var (id, session) = model.Pick(op.Session, ForgedIds);
                if (string.IsNullOrWhiteSpace(id))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.RotateSessionIdAsync(id));
                    return;
                }
                if (session is not { Ended: false })
                {
                    await Assert.ThrowsAsync<SessionException>(() => manager.RotateSessionIdAsync(id));
                    return;
                }
                var rotated = await manager.RotateSessionIdAsync(id);
                Assert.Equal(session.Data, rotated.Data);
                session.Rotated = true; // the old id is gone, without a termination
                model.Add(rotated, session.User, session.Data).ExpiresMs = rotated.ExpiresAt.ToUnixTimeMilliseconds();
                return;
            }
            case OpKind.SetData:
            case OpKind.SetSessionData:
            case OpKind.RemoveData:
            {
                var (id, session) = model.Pick(op.Session, ForgedIds);
                var key = Keys[op.Key];
                var value = Values[op.Value];
                if (string.IsNullOrWhiteSpace(id))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.SetSessionDataAsync(id, new Dictionary<string, string> { [key] = value }));
                    return;
                }
                var handle = session?.Handle;
                if (op.Kind != OpKind.SetSessionData && handle is null)
                {
                    return; // no Session object for a forged id
                }
                if (!IsValidText(key) || (op.Kind != OpKind.RemoveData && !IsValidText(value)))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => op.Kind switch
                    {
                        OpKind.SetData => handle!.SetDataAsync(key, value),
                        OpKind.RemoveData => handle!.RemoveDataAsync(key),
                        _ => manager.SetSessionDataAsync(id, new Dictionary<string, string> { [key] = value }),
                    });
                    return;
                }
                var after = session is null ? null : new Dictionary<string, string>(session.Data, StringComparer.Ordinal);
                if (after is not null)
                {
                    if (op.Kind == OpKind.RemoveData)
                    {
                        after.Remove(key);
                    }
                    else
                    {
                        after[key] = value;
                    }
                }
                var live = session is { Ended: false };
                var tooLarge = op.Kind != OpKind.RemoveData && (Size(new Dictionary<string, string> { [key] = value }) > MaxDataBytes || (live && Size(after!) > MaxDataBytes));
                if (tooLarge && (live || Size(new Dictionary<string, string> { [key] = value }) > MaxDataBytes))
                {
                    await Assert.ThrowsAsync<SessionDataTooLargeException>(() => op.Kind == OpKind.SetData
                        ? handle!.SetDataAsync(key, value)
                        : manager.SetSessionDataAsync(id, new Dictionary<string, string> { [key] = value }));
                    return;
                }
                switch (op.Kind)
                {
                    case OpKind.SetSessionData:
                        Assert.Equal(live, await manager.SetSessionDataAsync(id, new Dictionary<string, string> { [key] = value }));
                        break;
                    case OpKind.SetData when live:
                        await handle!.SetDataAsync(key, value);
                        break;
                    case OpKind.RemoveData when live:
                        Assert.Equal(session!.Data.ContainsKey(key), await handle!.RemoveDataAsync(key));
                        break;
                    default:
                        await Assert.ThrowsAsync<SessionException>(() => op.Kind == OpKind.SetData ? handle!.SetDataAsync(key, value) : handle!.RemoveDataAsync(key));
                        return;
                }
                if (live)
                {
                    session!.Data = after!;
                    await model.RefreshExpiryAsync(manager, session);
                }
                return;
            }
            case OpKind.List:
            {
                var user = Users[op.User];
                if (!IsValidUser(user))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.GetUserSessionsAsync(user));
                    return;
                }
                var listed = await manager.GetUserSessionsAsync(user);
                Assert.Equal(model.Live(user).Select(s => s.Id).Order(StringComparer.Ordinal), listed.Select(s => s.SessionId).Order(StringComparer.Ordinal));
                return;
            }
            case OpKind.TerminateUser:
            {
                var user = Users[op.User];
                if (!IsValidUser(user))
                {
                    await Assert.ThrowsAnyAsync<ArgumentException>(() => manager.TerminateUserSessionsAsync(user));
                    return;
                }
                var live = model.Live(user).ToList();
                var except = op.Session >= 0 && live.Count > 0 ? live[op.Session % live.Count].Id : null;
                Assert.Equal(live.Count(s => s.Id != except), await manager.TerminateUserSessionsAsync(user, TerminationReason.Admin, except));
                live.Where(s => s.Id != except).ToList().ForEach(s => s.End(TerminationReason.Admin));
                return;
            }
            case OpKind.Stats:
            {
                var stats = await manager.GetStatsAsync();
                Assert.Equal(model.Sessions.Values.Count(s => s.IsLive), stats.TotalActiveSessions);
                Assert.Equal(model.Sessions.Values.Where(s => s.IsLive).Select(s => s.User).Distinct(StringComparer.Ordinal).Count(), stats.UniqueUsers);
                return;
            }
            case OpKind.Cleanup:
                Assert.Equal(0, await manager.CleanupInactiveSessionsAsync()); // nothing expires within a run (30 min)
                return;
            default:
                throw new InvalidOperationException(op.Kind.ToString());
        }
    }

    /// <summary>After every step: each user within the limit and exactly the model's live sessions.</summary>
    private static async Task CheckAsync(SessionManager manager, Model model)
    {
        foreach (var user in model.Sessions.Values.Select(s => s.User).Distinct(StringComparer.Ordinal))
        {
            var listed = await manager.GetUserSessionsAsync(user);
            Assert.True(listed.Count <= Limit, $"{Show(user)} has {listed.Count} live sessions, over the limit {Limit}");
            Assert.Equal(model.Live(user).Select(s => s.Id).Order(StringComparer.Ordinal), listed.Select(s => s.SessionId).Order(StringComparer.Ordinal));
        }
    }

    private static bool IsValidUser(string user) => !string.IsNullOrWhiteSpace(user) && IsValidText(user) && Encoding.UTF8.GetByteCount(user) <= 1024;

    private static bool IsValidText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static long Size(IReadOnlyDictionary<string, string> data) => data.Sum(p => (long)Encoding.UTF8.GetByteCount(p.Key) + Encoding.UTF8.GetByteCount(p.Value));

    private static string Show(string user) => user.Length > 20 ? user[..20] + "…" : user;

    private enum OpKind
    {
        Create, Get, Peek, Touch, Terminate, Rotate, SetData, SetSessionData, RemoveData, List, TerminateUser, Stats, Cleanup,
    }

    /// <summary>One operation: indexes into the pools above; <c>Session</c> below 0 picks a forged id.</summary>
    private sealed record Op(OpKind Kind, int User, int Key, int Value, int Session)
    {
        public override string ToString() => Kind switch
        {
            OpKind.Create => $"Create(user={Show(Users[User])}, {Keys[Key]}={Show(Values[Value])})",
            OpKind.List or OpKind.TerminateUser => $"{Kind}(user={Show(Users[User])}, except #{Session})",
            OpKind.Stats or OpKind.Cleanup => Kind.ToString(),
            _ => $"{Kind}(session #{Session}, {Show(Keys[Key])}={Show(Values[Value])})",
        };
    }

    private sealed record Run(SessionLimitPolicy Policy, Op[] Ops)
    {
        public override string ToString() => $"{Policy}: {string.Join("; ", Ops.Select(o => o.ToString()))}";
    }

    private sealed class Model
    {
        private readonly List<ModelSession> _created = [];

        public Dictionary<string, ModelSession> Sessions { get; } = new(StringComparer.Ordinal);

        public IEnumerable<ModelSession> Live(string user) => Sessions.Values.Where(s => s.IsLive && s.User == user);

        public ModelSession Add(Session session, string user, IReadOnlyDictionary<string, string> data)
        {
            var added = new ModelSession(session.SessionId, user, new Dictionary<string, string>(data, StringComparer.Ordinal)) { Handle = session };
            Sessions[added.Id] = added;
            _created.Add(added);
            return added;
        }

        /// <summary>A session made in this run (by index), or a forged id (negative index).</summary>
        public (string Id, ModelSession? Session) Pick(int index, string[] forged)
        {
            if (index < 0 || _created.Count == 0)
            {
                return (forged[((index % forged.Length) + forged.Length) % forged.Length], null);
            }
            var session = _created[index % _created.Count];
            return (session.Id, session.Rotated ? null : session);
        }

        public async Task RefreshExpiryAsync(SessionManager manager, ModelSession? session)
        {
            if (session is { IsLive: true })
            {
                session.ExpiresMs = (await manager.PeekSessionAsync(session.Id))!.ExpiresAt.ToUnixTimeMilliseconds();
            }
        }
    }

    private sealed class ModelSession(string id, string user, Dictionary<string, string> data)
    {
        public string Id { get; } = id;

        public string User { get; } = user;

        public Dictionary<string, string> Data { get; set; } = data;

        public Session? Handle { get; set; }

        public long ExpiresMs { get; set; }

        public bool Ended { get; private set; }

        public bool Rotated { get; set; }

        public TerminationReason Reason { get; private set; }

        public bool IsLive => !Ended && !Rotated;

        public void End(TerminationReason reason)
        {
            Ended = true;
            Reason = reason;
        }
    }
}

[Collection(StandaloneCollection.Name)]
public sealed class StandaloneModelFuzzTests(StandaloneRedisFixture redis, ITestOutputHelper output) : ModelFuzzTests(redis, output);

[Collection(ClusterCollection.Name)]
public sealed class ClusterModelFuzzTests(ClusterRedisFixture redis, ITestOutputHelper output) : ModelFuzzTests(redis, output);

[Collection(TlsCollection.Name)]
public sealed class TlsModelFuzzTests(TlsRedisFixture redis, ITestOutputHelper output) : ModelFuzzTests(redis, output);
