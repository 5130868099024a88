using System.Globalization;

namespace RedisSessions.Soak;

/// <summary>The soak's settings, from the command line. Unknown or malformed arguments are refused, never ignored.</summary>
internal sealed record SoakSettings
{
    public double Minutes { get; init; } = 10;

    public int LoginsPerSecond { get; init; } = 200;

    public TimeSpan InactiveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Share of sessions logged out right after their reads (the others expire).</summary>
    public double LogoutShare { get; init; } = 0.3;

    /// <summary>The TerminationNoticePeriod of each phase: 0, the default (5 min), or both one after the other.</summary>
    public IReadOnlyList<TimeSpan?> NoticePeriods { get; init; } = [TimeSpan.Zero, null];

    public TimeSpan SampleEvery { get; init; } = TimeSpan.FromSeconds(10);

    public string Output { get; init; } = Path.Combine("artifacts", "soak", "soak-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + ".md");

    public const string Usage = """
        Usage: bash .ci/soak [--minutes N] [--rate N] [--inactive-seconds N] [--notice 0|default|both] [--out FILE]

          --minutes N            minutes of load in each phase (default 10)
          --rate N               logins per second (default 200)
          --inactive-seconds N   InactiveTimeout of every session (default 20)
          --notice WHICH         TerminationNoticePeriod of the phases: 0, default (5 minutes) or both (default)
          --out FILE             the markdown report (default artifacts/soak/soak-<UTC time>.md)

        Each phase starts its own redis-server (deploy/redis.conf), runs the load, then waits until every session has
        ended and been handled and Redis's memory is back (or the notice period has passed).
        """;

    public static SoakSettings Parse(string[] args)
    {
        var settings = new SoakSettings();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            settings = args[i] switch
            {
                "--minutes" => settings with { Minutes = Positive(Value(), "--minutes") },
                "--rate" => settings with { LoginsPerSecond = (int)Positive(Value(), "--rate") },
                "--inactive-seconds" => settings with { InactiveTimeout = TimeSpan.FromSeconds(Positive(Value(), "--inactive-seconds")) },
                "--notice" => settings with
                {
                    NoticePeriods = Value() switch
                    {
                        "0" => [TimeSpan.Zero],
                        "default" => [null],
                        "both" => [TimeSpan.Zero, null],
                        var other => throw new ArgumentException($"--notice takes 0, default or both, not '{other}'."),
                    },
                },
                "--out" => settings with { Output = Value() },
                "-h" or "--help" => throw new HelpRequestedException(),
                var other => throw new ArgumentException($"Unknown argument '{other}'."),
            };
        }
        return settings;
    }

    private static double Positive(string text, string name) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} takes a positive number, not '{text}'.");
}

internal sealed class HelpRequestedException : Exception
{
}
