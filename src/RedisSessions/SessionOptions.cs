using System.Text.RegularExpressions;

namespace RedisSessions;

/// <summary>How sessions behave. Bind it from the <c>RedisSessions</c> configuration section, build it in code, or
/// read a JSON configuration file with <see cref="FromFile"/>. Call <see cref="Validate"/> (the manager does) to get a
/// clear error naming any bad setting.</summary>
public sealed partial class SessionOptions
{
    /// <summary>The configuration section hosts bind: <c>RedisSessions</c>.</summary>
    public const string SectionName = "RedisSessions";

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379</c> or
    /// <c>10.0.0.1:7000,10.0.0.2:7000</c> for a cluster. Used by <see cref="SessionManager.ConnectAsync(SessionOptions, CancellationToken)"/>
    /// and by <c>AddRedisSessions</c> when no <c>IConnectionMultiplexer</c> is registered. Defaults to none.</summary>
    public string? Configuration { get; set; }

    /// <summary>A session ends after this long without activity (sliding). Defaults to 30 minutes. Give every process of a
    /// farm the same value: the process that records activity slides the expiry by its own setting (a session stores
    /// its expiry, not its timeout).</summary>
    public TimeSpan InactiveTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after its creation whatever its activity. Defaults to none.</summary>
    public TimeSpan? AbsoluteTimeout { get; set; }

    /// <summary>How often the background sweep looks for sessions whose time is up and terminations nobody handled.
    /// Defaults to 5 minutes.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Live sessions a user may have at once; 0 means no limit. Enforced inside Redis, across all servers.
    /// Defaults to 5.</summary>
    public int MaxSessionsPerUser { get; set; } = 5;

    /// <summary>What happens when a user at the limit logs in again. Defaults to <see cref="SessionLimitPolicy.EvictOldest"/>.</summary>
    public SessionLimitPolicy LimitPolicy { get; set; } = SessionLimitPolicy.EvictOldest;

    /// <summary>Whether a <see cref="SessionManager"/> runs the expiry sweep (and the expiry listener) in the background.
    /// Defaults to true.</summary>
    public bool EnableAutoCleanup { get; set; } = true;

    /// <summary>The first part of every Redis key (<c>rs:{…}:session:…</c>). Letters, digits, <c>_ - . :</c>; no braces.
    /// Defaults to <c>rs</c>.</summary>
    public string KeyPrefix { get; set; } = "rs";

    /// <summary>Largest total size of a session's data, counted as UTF-8 bytes of keys plus values. A write that would
    /// go over is refused and nothing is written. Defaults to 64 KiB.</summary>
    public int MaxDataBytes { get; set; } = 64 * 1024;

    /// <summary>Loading a session for use records activity at most once per this interval; reads in between are a plain
    /// HGETALL. The expiry stored in the session (field <c>expires</c>) is always the one Redis enforces. Defaults to
    /// 1% of <see cref="InactiveTimeout"/> (18 s for 30 min); <see cref="TimeSpan.Zero"/> records every read.</summary>
    public TimeSpan? ActivityResolution { get; set; }

    /// <summary>How long an ended session's snapshot (its data and why it ended) waits in Redis for a process with
    /// termination callbacks to handle it. Defaults to 1 day.</summary>
    public TimeSpan TerminatedSessionRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long Redis remembers why a session ended after its termination was handled (a small marker:
    /// ended, reason), so a web app can tell the user on their next request (<see cref="SessionManager.FindTerminationReasonAsync"/>).
    /// <see cref="TimeSpan.Zero"/> keeps nothing. Defaults to 5 minutes.</summary>
    public TimeSpan TerminationNoticePeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a session's hash outlives its expiry: the time a sweep has to end it and hand its data to the
    /// handlers. Sweeps normally come within a second (the deadline schedule) or a <see cref="CleanupInterval"/>; a
    /// session no sweep reaches in this time ends without a callback (counted as lost). Defaults to 10 minutes.</summary>
    public TimeSpan ExpiredSessionGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The lease on a claimed termination: the process running its callbacks renews it every third of this
    /// while they run, so a slow handler is never run twice; a process that dies or freezes leaves it to run out, and
    /// another process runs the termination again (<see cref="SessionTermination.Attempt"/> above 1). Defaults to 30 seconds.</summary>
    public TimeSpan TerminationClaimTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Name recorded as the owning node of sessions this process creates. Defaults to
    /// <c>{machine name}/{process id}</c>.</summary>
    public string NodeName { get; set; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>Whether <see cref="SessionManager.ShutdownAsync"/> terminates the sessions this node created (reason
    /// <see cref="TerminationReason.Shutdown"/>). Defaults to false.</summary>
    public bool TerminateOnShutdown { get; set; }

    /// <summary>Most termination events kept in the termination stream (<c>{prefix}:events</c>, trimmed approximately).
    /// Defaults to 10,000.</summary>
    public int EventStreamMaxLength { get; set; } = 10_000;

    /// <summary>How often a process with termination callbacks reads the earliest deadline of every bucket (1,024 small
    /// scripts), so it ends each session at its expiry time instead of waiting for Redis to delete the bucket's due key (its
    /// keyspace event can come tens of seconds late on a large keyspace) or for the next <see cref="CleanupInterval"/>
    /// sweep. Retries of terminations whose claim ran out are scheduled the same way. <see cref="TimeSpan.Zero"/> turns
    /// it off. Defaults to 1 second.</summary>
    public TimeSpan DeadlineRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a process with termination callbacks refreshes its heartbeat key
    /// (<c>{prefix}:heartbeat:{node}</c>, which lives three intervals). Defaults to 10 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What a termination this process makes (a logout, terminate-user, an operator's) waits for before it
    /// returns: <see cref="RedisSessions.LogoutDurability.Primary"/> (the default), a replica's acknowledgement, or the
    /// primary's fsynced append-only file (Redis 7.2+). When it is not reached within
    /// <see cref="LogoutDurabilityTimeout"/> the call throws <see cref="SessionException"/> (the session has ended on
    /// the primary all the same).</summary>
    public LogoutDurability LogoutDurability { get; set; } = LogoutDurability.Primary;

    /// <summary>How long a termination waits for <see cref="LogoutDurability"/>. Defaults to 1 second.</summary>
    public TimeSpan LogoutDurabilityTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A PEM or DER file of the certificate authority that signed the Redis servers' TLS certificates, for a
    /// private CA (<c>ssl=true</c> in <see cref="Configuration"/>). Applies to the connections RedisSessions opens
    /// itself; give your own <c>IConnectionMultiplexer</c> the same with <c>ConfigurationOptions.TrustIssuer</c>.
    /// Defaults to none: the operating system's trust store decides.</summary>
    public string? TrustedCertificateAuthorityPath { get; set; }

    /// <summary>Whether the expiry listener turns keyspace notifications for expired keys on (<c>CONFIG SET
    /// notify-keyspace-events</c>, adding <c>Ex</c>) on a master that has them off, where CONFIG is allowed. It sets them
    /// again after Redis restarts. Defaults to false: a warning names the redis.conf line instead.</summary>
    public bool ConfigureKeyspaceNotifications { get; set; }

    internal TimeSpan EffectiveActivityResolution => ActivityResolution ?? TimeSpan.FromTicks(InactiveTimeout.Ticks / 100);

    /// <summary>Checks every setting; throws an <see cref="ArgumentException"/> whose message names the bad one.</summary>
    public void Validate()
    {
        foreach (var problem in GetProblems())
        {
            throw new ArgumentException(problem);
        }
    }

    internal IEnumerable<string> GetProblems()
    {
        if (InactiveTimeout < TimeSpan.FromMilliseconds(10) || InactiveTimeout > TimeSpan.FromDays(365))
        {
            yield return $"SessionOptions.InactiveTimeout must be >= 00:00:00.010 and <= 365 days (was {InactiveTimeout}).";
        }
        if (AbsoluteTimeout is { } abs && (abs < TimeSpan.FromMilliseconds(10) || abs > TimeSpan.FromDays(3650)))
        {
            yield return $"SessionOptions.AbsoluteTimeout must be >= 00:00:00.010 and <= 3650 days, or unset (was {abs}).";
        }
        if (CleanupInterval < TimeSpan.FromMilliseconds(10) || CleanupInterval > TimeSpan.FromDays(1))
        {
            yield return $"SessionOptions.CleanupInterval must be >= 00:00:00.010 and <= 1 day (was {CleanupInterval}).";
        }
        if (MaxSessionsPerUser < 0 || MaxSessionsPerUser > 10_000)
        {
            yield return $"SessionOptions.MaxSessionsPerUser must be between 0 (no limit) and 10000 (was {MaxSessionsPerUser}).";
        }
        if (!Enum.IsDefined(LimitPolicy))
        {
            yield return $"SessionOptions.LimitPolicy must be EvictOldest or RejectNew (was {(int)LimitPolicy}).";
        }
        if (string.IsNullOrEmpty(KeyPrefix) || KeyPrefix.Length > 64 || !KeyPrefixPattern().IsMatch(KeyPrefix))
        {
            yield return $"SessionOptions.KeyPrefix must be 1-64 characters of letters, digits, '_', '-', '.', ':' and no braces (was \"{KeyPrefix}\").";
        }
        if (MaxDataBytes < 1 || MaxDataBytes > 16 * 1024 * 1024)
        {
            yield return $"SessionOptions.MaxDataBytes must be between 1 and 16777216 (was {MaxDataBytes}).";
        }
        if (ActivityResolution is { } res && (res < TimeSpan.Zero || res >= InactiveTimeout))
        {
            yield return $"SessionOptions.ActivityResolution must be >= 0 and < InactiveTimeout (was {res}).";
        }
        if (TerminatedSessionRetention < TimeSpan.FromSeconds(1) || TerminatedSessionRetention > TimeSpan.FromDays(30))
        {
            yield return $"SessionOptions.TerminatedSessionRetention must be >= 1 second and <= 30 days (was {TerminatedSessionRetention}).";
        }
        if (ExpiredSessionGrace < TimeSpan.FromSeconds(1) || ExpiredSessionGrace > TimeSpan.FromDays(1))
        {
            yield return $"SessionOptions.ExpiredSessionGrace must be >= 1 second and <= 1 day (was {ExpiredSessionGrace}).";
        }
        if (ExpiredSessionGrace <= CleanupInterval)
        {
            yield return $"SessionOptions.ExpiredSessionGrace ({ExpiredSessionGrace}) must be longer than CleanupInterval ({CleanupInterval}): a session must still hold its data when the next full sweep comes.";
        }
        if (TerminationNoticePeriod < TimeSpan.Zero || TerminationNoticePeriod > TimeSpan.FromDays(30))
        {
            yield return $"SessionOptions.TerminationNoticePeriod must be >= 0 and <= 30 days (was {TerminationNoticePeriod}).";
        }
        if (TerminationClaimTimeout < TimeSpan.FromMilliseconds(100) || TerminationClaimTimeout > TimeSpan.FromHours(1))
        {
            yield return $"SessionOptions.TerminationClaimTimeout must be >= 00:00:00.100 and <= 1 hour (was {TerminationClaimTimeout}).";
        }
        if (string.IsNullOrWhiteSpace(NodeName) || NodeName.Length > 200)
        {
            yield return "SessionOptions.NodeName must be 1-200 characters and not blank.";
        }
        if (EventStreamMaxLength < 0)
        {
            yield return $"SessionOptions.EventStreamMaxLength must be >= 0 (0 turns the stream off) (was {EventStreamMaxLength}).";
        }
        if (DeadlineRefreshInterval != TimeSpan.Zero && (DeadlineRefreshInterval < TimeSpan.FromMilliseconds(50) || DeadlineRefreshInterval > TimeSpan.FromHours(1)))
        {
            yield return $"SessionOptions.DeadlineRefreshInterval must be 0 (off) or >= 00:00:00.050 and <= 1 hour (was {DeadlineRefreshInterval}).";
        }
        if (!Enum.IsDefined(LogoutDurability))
        {
            yield return $"SessionOptions.LogoutDurability must be Primary, ReplicaAcknowledged or AppendOnlyFileSynced (was {(int)LogoutDurability}).";
        }
        if (LogoutDurabilityTimeout < TimeSpan.FromMilliseconds(1) || LogoutDurabilityTimeout > TimeSpan.FromMinutes(1))
        {
            yield return $"SessionOptions.LogoutDurabilityTimeout must be >= 00:00:00.001 and <= 1 minute (was {LogoutDurabilityTimeout}).";
        }
        if (TrustedCertificateAuthorityPath is { Length: > 0 } ca && !File.Exists(ca))
        {
            yield return $"SessionOptions.TrustedCertificateAuthorityPath names a file that does not exist: {ca}.";
        }
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(100) || HeartbeatInterval > TimeSpan.FromHours(1))
        {
            yield return $"SessionOptions.HeartbeatInterval must be >= 00:00:00.100 and <= 1 hour (was {HeartbeatInterval}).";
        }
    }

    /// <summary>A copy, so a manager's settings can't change under it.</summary>
    public SessionOptions Clone() => (SessionOptions)MemberwiseClone();

    [GeneratedRegex("^[A-Za-z0-9_.:-]+$")]
    private static partial Regex KeyPrefixPattern();
}
