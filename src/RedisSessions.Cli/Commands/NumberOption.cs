using System.CommandLine;
using System.Globalization;

namespace RedisSessions.Cli.Commands;

/// <summary>A whole-number option with a range; a value that isn't a number or is out of range is a usage error
/// naming the option (checked while parsing, so a validator never sees an unconverted value).</summary>
internal static class NumberOption
{
    public static Option<int?> Create(string name, string description, int minimum, int maximum, string helpName, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
            {
                return value;
            }
            result.AddError($"{name} expects a whole number from {minimum} to {maximum} (got \"{text}\").");
            return null;
        },
    };
}
