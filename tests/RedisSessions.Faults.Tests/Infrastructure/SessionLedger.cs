using System.Collections.Concurrent;
using System.Globalization;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>What the application was told: every session whose creation was acknowledged, the data writes and
/// logouts acknowledged for it, and every call that failed (whose effect may or may not have happened). The fault
/// tests compare Redis's final state and the callbacks with it.</summary>
public sealed class SessionLedger(Timeline timeline, RedisClockEstimate? clock = null)
{
    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unsureCreates = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Operation> _operations = new();
    private readonly ConcurrentQueue<string> _anomalies = new();

    /// <summary>One session the application holds. Its data keys <c>a</c> and <c>b</c> are always written together
    /// with the same version, so a half-applied write would show as a ≠ b.</summary>
    public sealed class Entry(string sessionId, string userId, string manager, long createdAtMs)
    {
        private readonly object _gate = new();

        public string SessionId { get; } = sessionId;

        public string UserId { get; } = userId;

        public string Manager { get; } = manager;

        public long CreatedAtMs { get; } = createdAtMs;

        /// <summary>The last data version whose write was acknowledged (0: the one it was created with).</summary>
        public int AckedVersion { get; private set; }

        public long AckedVersionAtMs { get; private set; } = createdAtMs;

        /// <summary>Versions whose write failed: each may or may not have been applied.</summary>
        public IReadOnlyList<int> UnsureVersions { get { lock (_gate) { return [.. _unsure]; } } }

        private readonly List<int> _unsure = [];

        public long? LogoutAckedAtMs { get; private set; }

        /// <summary>When the logout was acknowledged, on Redis's clock (estimated; 0 without an estimate).</summary>
        public long LogoutAckedRedisMs { get; private set; }

        public long? LogoutUnsureAtMs { get; private set; }

        public void Acked(int version, long atMs)
        {
            lock (_gate)
            {
                AckedVersion = version;
                AckedVersionAtMs = atMs;
            }
        }

        public void Unsure(int version)
        {
            lock (_gate)
            {
                _unsure.Add(version);
            }
        }

        public void LoggedOut(long atMs, long redisMs)
        {
            LogoutAckedAtMs = atMs;
            LogoutAckedRedisMs = redisMs;
        }

        public void LogoutUnsure(long atMs) => LogoutUnsureAtMs = atMs;

        /// <summary>Versions the data may show: the acknowledged one, or a later one whose write failed.</summary>
        public bool MayShow(int version) => version == AckedVersion || UnsureVersions.Any(v => v == version && v > AckedVersion);
    }

    /// <summary>One call: what, when it started and returned (ms of the time line), how it ended, and the session it
    /// was about (for a login, only once it succeeded).</summary>
    public sealed record Operation(string Kind, long StartMs, long EndMs, string Outcome, string? Error, string? SessionId = null)
    {
        public bool Succeeded => Outcome == "ok";

        public long DurationMs => EndMs - StartMs;
    }

    public IReadOnlyCollection<Entry> Sessions => _sessions.Values.ToArray();

    public IReadOnlyDictionary<string, long> UnsureCreates => _unsureCreates;

    public IReadOnlyList<Operation> Operations => _operations.ToArray();

    public IReadOnlyList<string> Anomalies => _anomalies.ToArray();

    public long NowMs => timeline.NowMs;

    /// <summary>Redis's clock now (estimated), or 0 without an estimate.</summary>
    public long RedisNowMs => clock?.NowMs ?? 0;

    public Entry? Find(string sessionId) => _sessions.GetValueOrDefault(sessionId);

    public Entry Created(string sessionId, string userId, string manager)
    {
        var entry = new Entry(sessionId, userId, manager, timeline.NowMs);
        _sessions[sessionId] = entry;
        return entry;
    }

    public void CreateUnsure(string userId) => _unsureCreates[userId] = timeline.NowMs;

    public void Record(Operation operation) => _operations.Enqueue(operation);

    public void Anomaly(string what) => _anomalies.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{timeline.NowMs} ms: {what}"));

    /// <summary>The data a new session is created with (version 0).</summary>
    public static Dictionary<string, string> Data(int version, string userId) => new(StringComparer.Ordinal)
    {
        ["a"] = Version(version),
        ["b"] = Version(version),
        ["user"] = userId,
    };

    public static string Version(int version) => "v" + version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The version a session's data shows, or -1 when a and b differ or are missing (half-written).</summary>
    public static int VersionOf(IReadOnlyDictionary<string, string> data) =>
        data.TryGetValue("a", out var a) && data.TryGetValue("b", out var b) && a == b && a.StartsWith('v')
            && int.TryParse(a.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
}
