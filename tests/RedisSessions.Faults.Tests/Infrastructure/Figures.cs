using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>What one fault test measured: written to the test's output as it is added, and, when the test publishes
/// them, appended as one JSON line to <c>artifacts/faults/figures.jsonl</c> at the repository root (the source of the
/// table in docs/reliability.md).</summary>
public sealed class Figures(ITestOutputHelper output, string test)
{
    private readonly SortedDictionary<string, object> _values = new(StringComparer.Ordinal);

    public void Add(string name, object value)
    {
        lock (_values)
        {
            _values[name] = value;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure {name} = {value}"));
    }

    public void Add(string name, TimeSpan value) => Add(name, Math.Round(value.TotalSeconds, 2));

    /// <summary>Appends the figures to artifacts/faults/figures.jsonl (one line per test run).</summary>
    public void Publish()
    {
        Dictionary<string, object> line;
        lock (_values)
        {
            line = new Dictionary<string, object>(_values, StringComparer.Ordinal)
            {
                ["test"] = test,
                ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = Environment.ProcessorCount,
            };
        }
        var directory = Path.Combine(Repository.Root, "artifacts", "faults");
        Directory.CreateDirectory(directory);
        File.AppendAllText(Path.Combine(directory, "figures.jsonl"), JsonSerializer.Serialize(line) + "\n");
    }
}

/// <summary>The repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding RedisSessions.sln, above the test assembly.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RedisSessions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException("RedisSessions.sln was not found above " + AppContext.BaseDirectory);
    }
}
