using System.CommandLine;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Inspection;
using RedisSessions.Cli.Output;
using RedisSessions.Internal;
using StackExchange.Redis;

namespace RedisSessions.Cli.Commands;

/// <summary><c>show</c>: every field of one session, data included, with its hash's TTL and when its bucket's next sweep
/// is due. A peek: it never counts as activity, so the session's expiry doesn't move.</summary>
internal static class ShowCommand
{
    private const int PreviewLength = 120;

    public static Command Create(GlobalOptions global)
    {
        var sessionId = new Argument<string>("session-id") { Description = "The session id (25 characters)." };
        var command = new Command("show", "Every field of one session, data included, with TTL and time left. Never extends the session.")
        {
            sessionId,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, parse.GetValue(sessionId)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string sessionId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A peek, as SessionManager.PeekSessionAsync reads it (one HGETALL), but with the creating node's idle timeout.
        var session = SessionKeys.TryParseSessionId(sessionId, out var bucket)
            ? await ReadAsync(context, bucket, sessionId)
            : null;
        if (session is null || session.ExpiresMs <= CliContext.NowMs)
        {
            throw CliException.NotFound(await NotFoundMessageAsync(context, sessionId));
        }
        var nodes = await context.NodesAsync();
        var db = context.Db;
        var keyTtl = db.KeyTimeToLiveAsync(context.Keys.Session(bucket, sessionId));
        var dueTtl = db.KeyTimeToLiveAsync(context.Keys.Due(bucket));
        await Task.WhenAll(keyTtl, dueTtl);
        var now = CliContext.Now;
        var details = new SessionDetails
        {
            SessionId = session.SessionId,
            UserId = session.UserId,
            Node = session.Node,
            CreatedAt = session.CreatedAt,
            LastActivity = session.LastActivity,
            ExpiresAt = session.ExpiresAt,
            AbsoluteExpiresAt = session.AbsoluteExpiresAt,
            IdleTimeoutSeconds = Text.Seconds(session.IdleTimeout),
            IdleTimeoutSource = nodes.SourceOf(session.NodeId) switch
            {
                IdleTimeoutSource.Option => "option",
                IdleTimeoutSource.Node => "node",
                _ => "default",
            },
            IdleSeconds = Text.Seconds(now > session.LastActivity ? now - session.LastActivity : TimeSpan.Zero),
            ExpiresInSeconds = Text.Seconds(session.ExpiresAt - now),
            SessionKeyTtlSeconds = keyTtl.Result is { } k ? Text.Seconds(k) : null,
            DueKeyTtlSeconds = dueTtl.Result is { } t ? Text.Seconds(t) : null,
            Data = new SortedDictionary<string, string>(session.Data.ToDictionary(), StringComparer.Ordinal),
        };
        if (context.Json)
        {
            CliJson.Write(context.Out, details, CliJsonContext.Default.SessionDetails);
            return ExitCodes.Success;
        }

        var fields = new Table("FIELD", "VALUE");
        fields.Add("Session", details.SessionId);
        fields.Add("User", details.UserId);
        fields.Add("Node", details.Node);
        fields.Add("Created", Text.Time(details.CreatedAt));
        fields.Add("Last activity", $"{Text.Time(details.LastActivity)} ({Text.Duration(TimeSpan.FromSeconds(details.IdleSeconds))} ago)");
        fields.Add("Idle timeout", $"{Text.Duration(TimeSpan.FromSeconds(details.IdleTimeoutSeconds))} ({IdleTimeoutText(details.IdleTimeoutSource)})");
        fields.Add("Expires at", Text.Time(details.ExpiresAt));
        fields.Add("Expires in", Text.Duration(details.ExpiresAt - now));
        fields.Add("Absolute deadline", details.AbsoluteExpiresAt is { } abs ? Text.Time(abs) : "none");
        fields.Add("Session key TTL", details.SessionKeyTtlSeconds is { } kt ? $"{Text.Duration(TimeSpan.FromSeconds(kt))} (expiry + retention for termination handlers)" : "none");
        fields.Add("Bucket sweep due in", DueText(context, bucket, details));
        fields.Write(context.Out);
        context.Out.WriteLine();
        if (details.Data.Count == 0)
        {
            context.Out.WriteLine("Data: none");
            return ExitCodes.Success;
        }
        context.Out.WriteLine($"Data ({details.Data.Count} key(s)):");
        var data = new Table("KEY", "VALUE");
        foreach (var (key, value) in details.Data)
        {
            data.Add(Text.Preview(key, PreviewLength), Text.Preview(value, PreviewLength));
        }
        data.Write(context.Out);
        return ExitCodes.Success;
    }

    private static async Task<SessionRecord?> ReadAsync(CliContext context, string bucket, string sessionId)
    {
        var entries = await context.Db.HashGetAllAsync(context.Keys.Session(bucket, sessionId));
        var nodes = await context.NodesAsync();
        return await nodes.ReadAsync(context, SessionRecord.FromHash(sessionId, entries, nodes.DefaultIdleTimeout));
    }

    private static string IdleTimeoutText(string source) => source switch
    {
        "option" => "--inactive-timeout",
        "node" => "the creating node's InactiveTimeout",
        _ => "the node registered none: RedisSessions:InactiveTimeout, else 30m",
    };

    /// <summary>The TTL of the bucket's due key: its expiry wakes a sweep of the bucket, which ends this session once its
    /// time is up. Due after the session's expiry means the session outlives its time until a periodic sweep (or a use).</summary>
    private static string DueText(CliContext context, string bucket, SessionDetails details)
    {
        var key = (string)context.Keys.Due(bucket)!;
        if (details.DueKeyTtlSeconds is not { } due)
        {
            return $"none ({key} is missing: the session ends at the next periodic sweep after its expiry)";
        }
        var text = $"{Text.Duration(TimeSpan.FromSeconds(due))} ({key}: its expiry wakes a sweep of the bucket)";
        return due > details.ExpiresInSeconds + 1
            ? text + "; later than this session's expiry: it ends at that sweep, a periodic one, or its next use"
            : text;
    }

    /// <summary>Says why there is no session: malformed id, ended (with the reason, while its snapshot is kept), or unknown.</summary>
    private static async Task<string> NotFoundMessageAsync(CliContext context, string sessionId)
    {
        if (!SessionKeys.TryParseSessionId(sessionId, out var bucket))
        {
            return $"no session {Text.Safe(sessionId)}: not a session id (25 characters: 3 hex digits, then base64url).";
        }
        var ended = await context.Db.HashGetAsync(context.Keys.Ended(bucket, sessionId), ["reason", "ended"]);
        if (!ended[0].IsNull)
        {
            var at = Text.UnixMs((string?)ended[1]);
            return $"no session {sessionId}: it ended ({(string?)ended[0]}{(at is { } t ? ", " + Text.Time(t) : string.Empty)}); its termination is still pending for a listener.";
        }
        var live = await context.Db.HashGetAsync(context.Keys.Session(bucket, sessionId), ["c", "e"]);
        return live[0].IsNull || live[1].IsNull
            ? $"no session {sessionId} (unknown, expired or terminated)."
            : $"no session {sessionId}: its time is up (expired {Text.Time(DateTimeOffset.FromUnixTimeMilliseconds((long)live[0] + (long)live[1]))}) and nobody has ended it yet (cleanup does).";
    }
}
