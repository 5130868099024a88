using System.Globalization;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>One callback run as a listener node recorded it (see tests/RedisSessions.TestNode, command listen).</summary>
public sealed record CallbackRecord(string SessionId, int Attempt, long ExpiresMs, long HandledMs, string Reason, string Node, int Pid, string UserId, string Data, string Listener, long EndedMs)
{
    /// <summary>From the deadline to the callback (ms).</summary>
    public long LatencyMs => HandledMs - ExpiresMs;

    public static IReadOnlyList<CallbackRecord> ReadAll(IEnumerable<string> files)
    {
        var records = new List<CallbackRecord>();
        foreach (var file in files.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                var p = line.Split(' ');
                if (p.Length < 11)
                {
                    continue; // a line being written right now
                }
                records.Add(new CallbackRecord(p[0], int.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture),
                    long.Parse(p[3], CultureInfo.InvariantCulture), p[4], p[5], int.Parse(p[6], CultureInfo.InvariantCulture), p[7], p[8], p[9],
                    long.Parse(p[10], CultureInfo.InvariantCulture)));
            }
        }
        return records;
    }

    public static int CountLines(IEnumerable<string> files)
    {
        var count = 0;
        foreach (var file in files.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                count += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }
        return count;
    }
}
