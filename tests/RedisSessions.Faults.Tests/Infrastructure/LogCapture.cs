using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>A logger for a <see cref="SessionManager"/> that keeps every entry (to count warnings by event id) and
/// echoes the first few warnings and errors of each event id to the test's output.</summary>
public sealed class LogCapture(ITestOutputHelper? output = null, string name = "") : ILogger<SessionManager>
{
    private const int EchoedPerEvent = 5;
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly ConcurrentDictionary<int, int> _echoed = new();

    public sealed record Entry(LogLevel Level, EventId EventId, string Message, Exception? Exception);

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    /// <summary>Entries with event id <paramref name="id"/>.</summary>
    public IReadOnlyList<Entry> WithId(int id) => _entries.Where(e => e.EventId.Id == id).ToArray();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var message = formatter(state, exception);
        _entries.Enqueue(new Entry(logLevel, eventId, message, exception));
        if (logLevel >= LogLevel.Warning && output is not null && _echoed.AddOrUpdate(eventId.Id, 1, (_, n) => n + 1) <= EchoedPerEvent)
        {
            try
            {
                output.WriteLine($"[{name} {logLevel} {eventId.Id}] {message}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // the test has finished: its output is closed
            }
        }
    }
}
