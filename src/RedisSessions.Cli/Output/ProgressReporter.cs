using System.Diagnostics;

namespace RedisSessions.Cli.Output;

/// <summary>One self-overwriting status line on standard error while a long walk runs, only when standard error is a
/// terminal (scripts and tests see nothing). Throttled to ten updates a second.</summary>
internal sealed class ProgressReporter
{
    private readonly TextWriter _writer;
    private readonly bool _enabled;
    private readonly object _gate = new();
    private long _lastWrite;
    private bool _shown;

    public ProgressReporter(TextWriter writer, bool enabled)
    {
        _writer = writer;
        _enabled = enabled;
    }

    public void Report(string status)
    {
        if (!_enabled)
        {
            return;
        }
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (_shown && Stopwatch.GetElapsedTime(_lastWrite, now) < TimeSpan.FromMilliseconds(100))
            {
                return;
            }
            _lastWrite = now;
            _shown = true;
            _writer.Write("\r" + status + "\u001b[K");
            _writer.Flush();
        }
    }

    public void Clear()
    {
        if (!_enabled)
        {
            return;
        }
        lock (_gate)
        {
            if (_shown)
            {
                _writer.Write("\r\u001b[K");
                _writer.Flush();
                _shown = false;
            }
        }
    }
}
