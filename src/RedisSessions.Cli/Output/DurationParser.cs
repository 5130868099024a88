using System.Globalization;
using System.Text.RegularExpressions;

namespace RedisSessions.Cli.Output;

/// <summary>Reads the durations operators type: <c>10m</c>, <c>90s</c>, <c>1h30m</c>, <c>2d</c>, <c>500ms</c>, <c>1.5h</c>,
/// or a .NET time span (<c>00:10:00</c>).</summary>
internal static partial class DurationParser
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        var match = Compound().Match(text);
        if (text.Length > 0 && match.Success)
        {
            var total = TimeSpan.Zero;
            foreach (Capture part in match.Groups["part"].Captures)
            {
                var unit = Unit().Match(part.Value);
                var number = double.Parse(unit.Groups["n"].Value, CultureInfo.InvariantCulture);
                total += unit.Groups["u"].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(number),
                    "s" => TimeSpan.FromSeconds(number),
                    "m" => TimeSpan.FromMinutes(number),
                    "h" => TimeSpan.FromHours(number),
                    _ => TimeSpan.FromDays(number),
                };
            }
            duration = total;
            return true;
        }
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            duration = span;
            return true;
        }
        return false;
    }

    [GeneratedRegex(@"^(?<part>\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")]
    private static partial Regex Compound();

    [GeneratedRegex(@"^(?<n>\d+(?:\.\d+)?)(?<u>ms|s|m|h|d)$")]
    private static partial Regex Unit();
}
