using System.CommandLine;
using RedisSessions.Cli.Output;

namespace RedisSessions.Cli.Commands;

/// <summary>An option holding a duration as operators type it (see <see cref="DurationParser"/>); a bad value is a
/// usage error naming the option.</summary>
internal static class DurationOption
{
    public static Option<TimeSpan?> Create(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (DurationParser.TryParse(text, out var duration))
            {
                return duration;
            }
            result.AddError($"{name} expects a duration such as 10m, 90s, 1h30m or 2d (got \"{text}\").");
            return null;
        },
    };
}
