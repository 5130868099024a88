using System.Globalization;
using System.Text;

namespace RedisSessions.Cli.Output;

/// <summary>How times, durations and stored strings look in tables.</summary>
internal static class Text
{
    /// <summary>UTC, to the second: <c>2026-11-24 14:41:04Z</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    /// <summary>A stored Unix-milliseconds field as a time; null when absent or not a number.</summary>
    public static DateTimeOffset? UnixMs(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>The two most significant units: <c>2d 3h</c>, <c>1h 02m</c>, <c>5m 03s</c>, <c>42s</c>, <c>0.250s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "-" + Duration(span.Negate());
        }
        if (span.TotalDays >= 1)
        {
            return $"{(int)span.TotalDays}d {span.Hours}h";
        }
        if (span.TotalHours >= 1)
        {
            return $"{span.Hours}h {span.Minutes:00}m";
        }
        if (span.TotalMinutes >= 1)
        {
            return $"{span.Minutes}m {span.Seconds:00}s";
        }
        if (span.TotalSeconds >= 10 || span == TimeSpan.Zero)
        {
            return $"{span.Seconds}s";
        }
        return span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Seconds with millisecond precision, for JSON.</summary>
    public static double Seconds(TimeSpan span) => Math.Round(span.TotalSeconds, 3);

    /// <summary>Escapes control characters (\n, \t, ESC as \u001b...) so a stored value can't break a table or send
    /// escape sequences to the operator's terminal.</summary>
    public static string Safe(string value)
    {
        if (!value.Any(char.IsControl))
        {
            return value;
        }
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return builder.ToString();
    }

    /// <summary><see cref="Safe"/>, cut to <paramref name="max"/> characters with a note of the full length.</summary>
    public static string Preview(string value, int max)
    {
        var safe = Safe(value);
        return safe.Length <= max ? safe : $"{safe[..max]}… ({Encoding.UTF8.GetByteCount(value)} bytes; --json shows it whole)";
    }
}
