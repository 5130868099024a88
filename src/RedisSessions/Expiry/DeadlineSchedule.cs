namespace RedisSessions.Expiry;

/// <summary>Tag → when to sweep it next (Unix ms on Redis's clock), earliest first. A tag is in it at most once (its
/// earliest known time); a later refresh that finds an earlier one replaces it, a later one leaves it (the sweep then
/// finds nothing yet, and re-reads the tag's next time).</summary>
internal sealed class DeadlineSchedule
{
    private readonly object _gate = new();
    private readonly PriorityQueue<string, long> _queue = new();
    private readonly Dictionary<string, long> _due = new(StringComparer.Ordinal);

    /// <summary>Schedules <paramref name="tag"/> at <paramref name="dueMs"/> unless it is due earlier already. True
    /// when this changed the schedule.</summary>
    public bool Set(string tag, long dueMs)
    {
        lock (_gate)
        {
            if (_due.TryGetValue(tag, out var current) && current <= dueMs)
            {
                return false;
            }
            _due[tag] = dueMs;
            _queue.Enqueue(tag, dueMs);
            if (_queue.Count > 4 * Keys.Tags.Count)
            {
                // Drop the entries a nearer time replaced.
                _queue.Clear();
                foreach (var (name, due) in _due)
                {
                    _queue.Enqueue(name, due);
                }
            }
            return true;
        }
    }

    /// <summary>The earliest time (Unix ms), or long.MaxValue.</summary>
    public long NextDue
    {
        get
        {
            lock (_gate)
            {
                while (_queue.TryPeek(out var tag, out var due))
                {
                    if (_due.TryGetValue(tag, out var current) && current == due)
                    {
                        return due;
                    }
                    _queue.Dequeue();
                }
                return long.MaxValue;
            }
        }
    }

    /// <summary>Removes and returns the tags due at <paramref name="nowMs"/>.</summary>
    public List<string> TakeDue(long nowMs)
    {
        var due = new List<string>();
        lock (_gate)
        {
            while (_queue.TryPeek(out var tag, out var at) && at <= nowMs)
            {
                _queue.Dequeue();
                if (_due.TryGetValue(tag, out var current) && current == at)
                {
                    _due.Remove(tag);
                    due.Add(tag);
                }
            }
        }
        return due;
    }
}
