using System.CommandLine;
using RedisSessions.Administration;
using RedisSessions.Cli.Connection;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary><c>show</c>: everything Redis holds about one session id — every field as stored, its TTL, its place in the
/// indexes, the termination's state once it ended — next to the <c>redis-cli</c> commands that read them. A peek: it
/// never counts as activity. Exit code 0 only for an active session; for one past its time or ended it prints what is
/// left and exits 1, as it does (printing nothing) for an id that names nothing.</summary>
internal static class ShowCommand
{
    private const int PreviewLength = 120;

    public static Command Create(GlobalOptions global)
    {
        var sessionId = new Argument<string>("session-id") { Description = "The session id (25 characters)." };
        var command = new Command("show", "Every field of one session as stored, its TTL, its index entries and termination state, with the redis-cli view. Never extends the session.")
        {
            sessionId,
        };
        CommandRunner.SetAction(command, global, (context, parse, ct) => RunAsync(context, parse.GetValue(sessionId)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string sessionId, CancellationToken cancellationToken)
    {
        var inspection = string.IsNullOrWhiteSpace(sessionId) ? null : await context.Admin.InspectSessionAsync(sessionId, cancellationToken);
        if (inspection is null)
        {
            throw CliException.NotFound($"no session {Text.Safe(sessionId)}: not a session id (25 characters: 3 hex digits, then base64url).");
        }
        if (inspection.Status == SessionStatus.NotFound)
        {
            throw CliException.NotFound($"no session {sessionId} (unknown, or ended long enough ago that Redis has forgotten it).");
        }
        var details = SessionDetails.From(inspection);
        if (context.Json)
        {
            CliJson.Write(context.Out, details, CliJsonContext.Default.SessionDetails);
        }
        else
        {
            Write(context.Out, inspection, details);
        }
        return inspection.Status == SessionStatus.Active ? ExitCodes.Success : throw CliException.NotFound(NotActive(inspection));
    }

    private static string NotActive(SessionInspection s) => s.Status switch
    {
        SessionStatus.Overdue => $"session {s.SessionId} is not active: its time was up {Ago(s, s.ExpiresAt)} and nothing has ended it yet (cleanup does).",
        SessionStatus.Ended => $"session {s.SessionId} is not active: it ended ({s.Reason}, {Ago(s, s.EndedAt)}); " + (s.PendingScore switch
        {
            0 => "its termination waits for a handler.",
            > 0 => $"a handler holds its termination (attempt {s.Attempt}).",
            _ => "no pending entry points to it (cleanup --yes hands it back to the handlers).",
        }),
        SessionStatus.Handled => $"session {s.SessionId} is not active: it ended ({s.Reason}, {Ago(s, s.EndedAt)}) and its termination was handled.",
        _ => $"{s.SessionKey} is not a session hash (no user and no ended field).",
    };

    private static void Write(TextWriter output, SessionInspection s, SessionDetails d)
    {
        var table = new Table("FIELD", "VALUE");
        table.Add("Session", s.SessionId);
        table.Add("Status", s.Status switch
        {
            SessionStatus.Active => "active",
            SessionStatus.Overdue => "past its time, not ended yet (cleanup ends it)",
            SessionStatus.Ended => "ended: the hash is the termination's snapshot",
            SessionStatus.Handled => "ended and handled: only the notice of why is left",
            _ => "not a session hash",
        });
        if (s.UserId is not null)
        {
            table.Add("User", s.UserId);
        }
        if (s.Node is not null)
        {
            table.Add("Node", s.Node);
        }
        if (s.CreatedAt is { } created)
        {
            table.Add("Created", Text.Time(created));
        }
        if (s.LastActivity is { } last)
        {
            table.Add("Last activity", $"{Text.Time(last)} ({Ago(s, last)})");
        }
        if (s.ExpiresAt is { } expires)
        {
            table.Add("Expires at", $"{Text.Time(expires)} ({In(s, expires)})");
        }
        if (s.Status is SessionStatus.Active or SessionStatus.Overdue)
        {
            table.Add("Absolute deadline", s.AbsoluteExpiresAt is { } abs ? $"{Text.Time(abs)} ({In(s, abs)})" : "none");
        }
        if (s.EndedAt is { } ended)
        {
            table.Add("Ended", $"{Text.Time(ended)} ({Ago(s, ended)}), reason {s.Reason}");
        }
        if (s.Status == SessionStatus.Ended)
        {
            table.Add("Termination", s.PendingScore switch
            {
                0 => $"ready for any handler (attempt {s.Attempt}{(s.Owner is { Length: > 0 } o ? $", last held by {o}" : string.Empty)})",
                > 0 => $"held by {s.Owner}, attempt {s.Attempt}, leased until {Text.Time(s.LeasedUntil)} ({In(s, s.LeasedUntil!.Value)})",
                _ => "not pending: no handler will run it (cleanup --yes hands it back)",
            });
        }
        table.Add("Session key TTL", s.KeyTimeToLive is { } ttl
            ? $"{Text.Duration(ttl)} (deleted at {Text.Time(s.KeyExpiresAt)}: {(s.Status is SessionStatus.Active or SessionStatus.Overdue ? "expiry + ExpiredSessionGrace" : s.Status == SessionStatus.Ended ? "TerminatedSessionRetention" : "TerminationNoticePeriod")})"
            : "none");
        if (s.UserIndexKey is { } index)
        {
            table.Add("User index", s.UserIndexScore is { } score
                ? $"listed in {index} (score {Score(score)})"
                : s.Status is SessionStatus.Active or SessionStatus.Overdue ? $"NOT listed in {index}: no sweep ends it (cleanup finds it)" : $"not listed in {index} (right: it ended)");
            if (s.UserEarliestScore is { } earliest)
            {
                table.Add("Due index", s.DueIndexScore is { } due
                    ? due == earliest ? $"{s.UserMember} due at {Score(due)} in {s.DueIndexKey}: the user's earliest expiry" : $"{s.UserMember} due at {Score(due)} in {s.DueIndexKey}, but the user's earliest expiry is {Score(earliest)} (cleanup re-scores it)"
                    : $"{s.UserMember} is NOT in {s.DueIndexKey}: no sweep visits the user (cleanup finds it)");
            }
        }
        table.Add("Pending", s.PendingScore switch
        {
            null => $"not in {s.PendingKey}",
            0 => $"in {s.PendingKey}, score 0: ready for any handler",
            _ => $"in {s.PendingKey}, leased until {Text.Time(s.LeasedUntil)}",
        });
        table.Add("Wake key", s.WakeAt is { } wake ? $"{s.WakeKey} expires {In(s, wake)}: its keyspace event wakes a sweep of the tag" : $"{s.WakeKey}: none");
        table.Add("Tag counter", $"{s.CounterKey} = {s.Counter ?? "(none: 0)"}");
        table.Write(output);
        output.WriteLine();
        if (d.Data.Count == 0)
        {
            output.WriteLine("Data: none");
        }
        else
        {
            output.WriteLine($"Data ({d.Data.Count} key(s)):");
            var data = new Table("KEY", "VALUE");
            foreach (var (key, value) in d.Data)
            {
                data.Add(Text.Preview(key, PreviewLength), Text.Preview(value, PreviewLength));
            }
            data.Write(output);
        }
        output.WriteLine();
        output.WriteLine("redis-cli view:");
        var cli = new Table("COMMAND", "REPLY");
        foreach (var line in d.RedisCli)
        {
            cli.Add(line.Command, Text.Preview(line.Reply, PreviewLength));
        }
        cli.Write(output);
    }

    private static string Score(double score) => score.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static string Ago(SessionInspection s, DateTimeOffset? at) => at is { } t ? $"{Text.Duration(s.ReadAt > t ? s.ReadAt - t : TimeSpan.Zero)} ago" : "-";

    private static string In(SessionInspection s, DateTimeOffset at) => at >= s.ReadAt ? $"in {Text.Duration(at - s.ReadAt)}" : $"{Text.Duration(s.ReadAt - at)} ago";
}
