using System.Diagnostics;

namespace RedisSessions.Testing;

/// <summary>Waits on a condition instead of sleeping. Shared by every test project (linked as source).</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> (and the last
    /// <paramref name="state"/>) after <paramref name="timeout"/> (20 s unless given).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? state = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {what}.{(state is null ? "" : " " + state())}");
            }
            await Task.Delay(20);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? state = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout, state);
}
