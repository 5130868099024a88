using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using RedisSessions.Keys;
using RedisSessions.Scripts;
using StackExchange.Redis;

namespace RedisSessions.Administration;

/// <summary>Listing and inspecting sessions.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>
    /// The active sessions (time not up, not ended) that match <paramref name="filter"/>, as they are read. With
    /// <see cref="SessionFilter.UserId"/> it reads that user's index only; otherwise it walks every tag's due index and
    /// each listed user's index with <c>ZSCAN</c> (O(sessions), <see cref="TagsInFlight"/> tags at a time), reading the
    /// sessions <see cref="SessionsPerCall"/> per script call. Sessions come in no particular order. The walk is not a
    /// snapshot: a session created or ended while it runs may or may not be seen; none is returned twice. A session its
    /// user's index doesn't list is not seen (cleanup with <see cref="CleanupOptions.ScanKeyspace"/> finds it).
    /// </summary>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public IAsyncEnumerable<SessionSummary> ListSessionsAsync(SessionFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= new SessionFilter();
        if (filter.UserId is not null)
        {
            UserIds.Validate(filter.UserId, nameof(filter));
            return GuardAsync("admin-list", ListUserAsync(UserKeys.For(Keys, filter.UserId), filter, cancellationToken), cancellationToken);
        }
        return GuardAsync("admin-list", WalkAsync(filter, cancellationToken), cancellationToken);
    }

    private async IAsyncEnumerable<SessionSummary> ListUserAsync(UserKeys user, SessionFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        await foreach (var session in ReadUserAsync(db, user, filter, cancellationToken).ConfigureAwait(false))
        {
            yield return session;
        }
    }

    /// <summary>Every tag, <see cref="TagsInFlight"/> at a time, through a bounded channel.</summary>
    private async IAsyncEnumerable<SessionSummary> WalkAsync(SessionFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var db = await DbAsync().ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<SessionSummary>(new BoundedChannelOptions(4 * SessionsPerCall) { SingleReader = true });
        Exception? failure = null;
        var producer = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForEachAsync(Tags.All, new ParallelOptions { MaxDegreeOfParallelism = TagsInFlight, CancellationToken = stop.Token }, async (tag, ct) =>
                {
                    await foreach (var member in ScanAsync(db, Keys.Due(tag), ct).ConfigureAwait(false))
                    {
                        var user = UserKeys.ForMember(Keys, tag, member.Element);
                        await foreach (var session in ReadUserAsync(db, user, filter, ct).ConfigureAwait(false))
                        {
                            await channel.Writer.WriteAsync(session, ct).ConfigureAwait(false);
                        }
                    }
                }).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Handed to the reader, which rethrows it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var session in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return session;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>The user's open sessions that match: its index with ZSCAN, the sessions read a page at a time.</summary>
    private async IAsyncEnumerable<SessionSummary> ReadUserAsync(IDatabase db, UserKeys user, SessionFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ids = new List<string>(SessionsPerCall);
        await foreach (var entry in ScanAsync(db, user.Index, cancellationToken).ConfigureAwait(false))
        {
            ids.Add(entry.Element);
            if (ids.Count == SessionsPerCall)
            {
                foreach (var session in await ReadMatchingAsync(db, user, ids, filter).ConfigureAwait(false))
                {
                    yield return session;
                }
                ids.Clear();
            }
        }
        if (ids.Count > 0)
        {
            foreach (var session in await ReadMatchingAsync(db, user, ids, filter).ConfigureAwait(false))
            {
                yield return session;
            }
        }
    }

    private async Task<List<SessionSummary>> ReadMatchingAsync(IDatabase db, UserKeys user, List<string> ids, SessionFilter filter)
    {
        var (now, sessions) = await AdminCalls.ReadSessionsAsync(db, Keys, user.Tag, ids, filter.IncludeData).ConfigureAwait(false);
        _manager.Clock.Observe(now);
        var matching = new List<SessionSummary>();
        foreach (var s in sessions)
        {
            // Open, its time not up, and listed in its own user's index (an entry in another user's index is damage).
            if (!s.IsOpen || s.ExpiresMs <= now || UserIds.Member(s.User!) != user.Member)
            {
                continue;
            }
            if ((filter.Node is not null && !string.Equals(s.Node, filter.Node, StringComparison.Ordinal))
                || (filter.IdleFor is { } idle && now - s.LastMs < (long)idle.TotalMilliseconds))
            {
                continue;
            }
            matching.Add(new SessionSummary
            {
                SessionId = s.SessionId,
                UserId = s.User!,
                Node = s.Node ?? string.Empty,
                CreatedAt = At(s.CreatedMs),
                LastActivity = At(s.LastMs),
                ExpiresAt = At(s.ExpiresMs),
                AbsoluteExpiresAt = AtOrNull(s.AbsoluteMs),
                DataCount = s.DataCount,
                Data = s.Data,
                ReadAt = At(now),
            });
        }
        return matching;
    }

    /// <summary>A sorted set's entries with ZSCAN (each entry there the whole time is seen; one seen twice is given once).</summary>
    internal static async IAsyncEnumerable<(string Element, double Score)> ScanAsync(IDatabase db, RedisKey key, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in db.SortedSetScanAsync(key, pageSize: ScanPage).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var element = (string)entry.Element!;
            if (seen.Add(element))
            {
                yield return (element, entry.Score);
            }
        }
    }

    /// <summary>
    /// Everything Redis holds about one session id, read at one instant without counting as activity: every field as
    /// stored, the hash's TTL and PEXPIRETIME, its score in its user's index and the user's score in the due index, and
    /// once it ended the termination's state (reason, attempt, owner, its pending score: ready or leased until when),
    /// with the tag's wake key and counter. Null when <paramref name="sessionId"/> can't be a session id (25
    /// characters: the tag's 3 hex digits, then base64url); an id that names nothing comes back with
    /// <see cref="SessionStatus.NotFound"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> is null, empty or white space.</exception>
    /// <exception cref="SessionStoreUnavailableException">Redis can't be reached.</exception>
    public async Task<SessionInspection?> InspectSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!SessionIds.TryParse(sessionId, out var tag))
        {
            return null;
        }
        return await RunAsync("admin-inspect", async () =>
        {
            var db = await DbAsync().ConfigureAwait(false);
            // The user names the index to declare; it never changes for a session id.
            var userId = (string?)await db.HashGetAsync(Keys.Session(tag, sessionId), "user").ConfigureAwait(false);
            UserKeys? user = userId is null ? null : UserKeys.For(Keys, userId);
            if (user is { } u && u.Tag != tag)
            {
                user = null; // a hash written by hand naming a user of another tag: its index is elsewhere
            }
            var read = await AdminCalls.InspectAsync(db, Keys, tag, sessionId, user).ConfigureAwait(false);
            _manager.Clock.Observe(read.NowMs);
            return Inspection(tag, sessionId, read, userId, user);
        }).ConfigureAwait(false);
    }

    private SessionInspection Inspection(string tag, string sessionId, AdminCalls.Inspection read, string? userId, UserKeys? user)
    {
        var fields = new List<KeyValuePair<string, string>>(read.Fields.Length / 2);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < read.Fields.Length; i += 2)
        {
            var name = (string)read.Fields[i]!;
            var value = (string?)read.Fields[i + 1] ?? string.Empty;
            fields.Add(new KeyValuePair<string, string>(name, value));
            if (name.StartsWith(Store.SessionRecord.DataPrefix, StringComparison.Ordinal))
            {
                data[name[Store.SessionRecord.DataPrefix.Length..]] = value;
            }
            else
            {
                values[name] = value;
            }
        }
        var hasUser = values.ContainsKey("user");
        var ended = values.ContainsKey("ended");
        var expires = Millis(values, "expires");
        var status = fields.Count == 0 ? SessionStatus.NotFound
            : ended ? (hasUser ? SessionStatus.Ended : SessionStatus.Handled)
            : !hasUser ? SessionStatus.Unrecognized
            : expires > read.NowMs ? SessionStatus.Active
            : SessionStatus.Overdue;
        return new SessionInspection
        {
            SessionId = sessionId,
            Status = status,
            ReadAt = At(read.NowMs),
            Tag = tag,
            SessionKey = Keys.Session(tag, sessionId)!,
            Fields = fields,
            KeyTimeToLive = read.TimeToLiveMs >= 0 ? TimeSpan.FromMilliseconds(read.TimeToLiveMs) : null,
            KeyExpiresAt = read.ExpireTimeMs >= 0 ? At(read.ExpireTimeMs) : null,
            UserId = userId,
            Node = values.GetValueOrDefault("node"),
            CreatedAt = AtOrNull(Millis(values, "created")),
            LastActivity = AtOrNull(Millis(values, "last")),
            ExpiresAt = AtOrNull(expires),
            AbsoluteExpiresAt = AtOrNull(Millis(values, "absolute")),
            Data = data,
            EndedAt = AtOrNull(Millis(values, "ended")),
            Reason = values.GetValueOrDefault("reason"),
            Attempt = values.ContainsKey("attempt") ? Millis(values, "attempt") : null,
            Owner = values.GetValueOrDefault("owner"),
            UserIndexKey = user is { } u ? (string?)u.Index : null,
            UserMember = user?.Member,
            UserIndexScore = read.UserIndexScore,
            UserEarliestScore = read.EarliestScore,
            UserEarliestSessionId = read.EarliestSessionId,
            DueIndexKey = Keys.Due(tag)!,
            DueIndexScore = read.DueScore,
            PendingKey = Keys.Pending(tag)!,
            PendingScore = read.PendingScore,
            WakeKey = Keys.Wake(tag)!,
            WakeAt = read.WakeExpireTimeMs >= 0 ? At(read.WakeExpireTimeMs) : null,
            CounterKey = Keys.Sessions(tag)!,
            Counter = read.Counter,
        };
    }

    private static long Millis(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
