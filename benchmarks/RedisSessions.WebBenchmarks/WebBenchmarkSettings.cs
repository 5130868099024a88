using System.Globalization;

namespace RedisSessions.WebBenchmarks;

/// <summary>The run's settings, from the command line.</summary>
internal sealed record WebBenchmarkSettings(int Clients, int Rounds, TimeSpan Duration, TimeSpan WarmUp, bool Quick, string Output)
{
    public const string Usage = """
        benchmarks/run-web [options]
          --clients N    concurrent clients (browsers), each with its own keep-alive connection and user (default 32)
          --rounds N     rounds; every side is measured once per round, the order rotating (default 4: each side once
                         in each position)
          --seconds S    length of each measured phase (default 10)
          --warmup S     warm-up of each side before the rounds (default 3)
          --quick        4 rounds of 3 s after a 2 s warm-up: a short look, not figures to quote
          --output PATH  the report (default benchmarks/results/web-latest.md)
        """;

    public static WebBenchmarkSettings Parse(string[] args)
    {
        int clients = 32, rounds = 4;
        double seconds = 10, warmUp = 3;
        var quick = false;
        var output = Path.Combine("benchmarks", "results", "web-latest.md");
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            switch (args[i])
            {
                case "--clients": clients = Positive(Next()); break;
                case "--rounds": rounds = Positive(Next()); break;
                case "--seconds": seconds = Positive(Next()); break;
                case "--warmup": warmUp = Positive(Next()); break;
                case "--output": output = Next(); break;
                case "--quick":
                    quick = true;
                    rounds = 4;
                    seconds = 3;
                    warmUp = 2;
                    break;
                default: throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}");
            }
        }
        return new WebBenchmarkSettings(clients, rounds, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(warmUp), quick, output);
    }

    private static int Positive(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"'{value}' is not a positive whole number.");
}
