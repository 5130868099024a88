using System.Diagnostics;
using System.Text.RegularExpressions;

namespace RedisSessions.Examples;

/// <summary>
/// What the three examples share: finding the Redis to use, printing numbered steps, checking that what an example
/// shows really happened (a failed check ends the program with exit code 1), and waiting on a condition instead of
/// sleeping. Nothing here is needed to use RedisSessions; it only keeps the examples short.
/// </summary>
internal static partial class Example
{
    private static int s_step;

    /// <summary>Runs an example: finds the Redis configuration (or explains how to set it and returns 1), then runs
    /// <paramref name="body"/> with it. Returns the process exit code: 0 when every check passed, 1 otherwise.</summary>
    public static async Task<int> RunAsync(string title, Func<string, Task> body)
    {
        if (!TryGetRedisConfiguration(out var redis, out var source))
        {
            await Console.Error.WriteLineAsync(
                "No Redis configured: set RedisSessions__Configuration (e.g. localhost:6379) or REDIS_URL (e.g. redis://localhost:6379).");
            return 1;
        }
        Console.WriteLine($"=== {title} ===");
        Console.WriteLine($"Using the Redis at {Redact(redis)} (from {source}).");
        try
        {
            await body(redis);
        }
        catch (ExampleFailedException ex)
        {
            await Console.Error.WriteLineAsync($"FAILED: {ex.Message}");
            return 1;
        }
        catch (SessionStoreUnavailableException ex)
        {
            await Console.Error.WriteLineAsync($"FAILED: Redis at {Redact(redis)} can't be reached: {ex.Message}");
            return 1;
        }
#pragma warning disable CA1031 // Any other error also fails the example, with its details, rather than crashing.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"FAILED with an unexpected error: {ex}");
            return 1;
        }
        Console.WriteLine();
        Console.WriteLine("Done: everything this example shows happened as described.");
        return 0;
    }

    /// <summary>The Redis to use: <c>RedisSessions__Configuration</c> (a StackExchange.Redis configuration string, the
    /// variable a host binds to <see cref="SessionOptions.Configuration"/>) or else <c>REDIS_URL</c>
    /// (<c>redis://[:password@]host[:port][/db]</c>, or a configuration string).</summary>
    public static bool TryGetRedisConfiguration(out string configuration, out string source)
    {
        var fromOptions = Environment.GetEnvironmentVariable("RedisSessions__Configuration");
        if (!string.IsNullOrWhiteSpace(fromOptions))
        {
            (configuration, source) = (fromOptions.Trim(), "RedisSessions__Configuration");
            return true;
        }
        var url = Environment.GetEnvironmentVariable("REDIS_URL");
        if (!string.IsNullOrWhiteSpace(url))
        {
            (configuration, source) = (FromRedisUrl(url.Trim()), "REDIS_URL");
            return true;
        }
        (configuration, source) = (string.Empty, string.Empty);
        return false;
    }

    /// <summary>Turns <c>redis://[user:]password@host:port/db</c> (or <c>rediss://</c> for TLS) into a
    /// StackExchange.Redis configuration string; anything else is taken as a configuration string already.</summary>
    private static string FromRedisUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
        {
            return url;
        }
        var parts = new List<string> { $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 6379)}" };
        var userInfo = Uri.UnescapeDataString(uri.UserInfo);
        var password = userInfo.Contains(':', StringComparison.Ordinal) ? userInfo[(userInfo.IndexOf(':', StringComparison.Ordinal) + 1)..] : userInfo;
        if (password.Length > 0)
        {
            parts.Add($"password={password}");
        }
        if (int.TryParse(uri.AbsolutePath.Trim('/'), System.Globalization.CultureInfo.InvariantCulture, out var database))
        {
            parts.Add($"defaultDatabase={database}");
        }
        if (uri.Scheme == "rediss")
        {
            parts.Add("ssl=true");
        }
        return string.Join(',', parts);
    }

    /// <summary>The configuration string without its password, for printing.</summary>
    public static string Redact(string configuration) => PasswordPattern().Replace(configuration, "password=***");

    /// <summary>Prints the title of a part of the example.</summary>
    public static void Part(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"--- {title} ---");
    }

    /// <summary>Prints the next numbered step.</summary>
    public static void Step(string text)
    {
        Console.WriteLine();
        Console.WriteLine($"{++s_step}. {text}");
    }

    /// <summary>Prints a detail of the current step.</summary>
    public static void Say(string text) => Console.WriteLine($"   {text}");

    /// <summary>Prints "ok: <paramref name="expectation"/>" when <paramref name="condition"/> holds; otherwise the
    /// example fails with that expectation as the reason.</summary>
    public static void Check(bool condition, string expectation)
    {
        if (!condition)
        {
            throw new ExampleFailedException($"expected that {expectation}, but it did not happen.");
        }
        Console.WriteLine($"   ok: {expectation}");
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds; fails the example after
    /// <paramref name="timeout"/>. Returns how long it took.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string expectation)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new ExampleFailedException($"expected that {expectation} within {timeout.TotalSeconds:0.#} s, but it did not happen.");
            }
            await Task.Delay(50);
        }
        return clock.Elapsed;
    }

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="timeout"/>; fails the example when it does not
    /// complete in time.</summary>
    public static async Task<T> WaitAsync<T>(Task<T> task, TimeSpan timeout, string expectation)
    {
        try
        {
            return await task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new ExampleFailedException($"expected that {expectation} within {timeout.TotalSeconds:0.#} s, but it did not happen.");
        }
    }

    /// <summary>Waits (about a millisecond) until the clock has moved past <paramref name="instant"/>. RedisSessions records
    /// creation times in whole milliseconds, and sessions created in the same millisecond have no defined age order
    /// ("oldest" among them is whichever has the smaller random id). Real logins are further apart; an example that
    /// creates sessions back to back and relies on their age order waits for the next millisecond in between.</summary>
    public static async Task WaitUntilAfterAsync(DateTimeOffset instant)
    {
        while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() <= instant.ToUnixTimeMilliseconds())
        {
            await Task.Delay(1);
        }
    }

    /// <summary>Runs the clean-up of an example even when it failed half-way; a clean-up error is printed, not thrown,
    /// so it never hides the reason the example failed.</summary>
    public static async Task CleanUpAsync(Func<Task> cleanUp)
    {
        try
        {
            await cleanUp();
        }
#pragma warning disable CA1031 // Best effort: report and carry on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"   (clean-up did not finish: {ex.Message})");
        }
    }

    /// <summary>Session data as <c>key=value, ...</c>, sorted by key.</summary>
    public static string Format(IReadOnlyDictionary<string, string> data) =>
        data.Count == 0 ? "(none)" : string.Join(", ", data.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>A duration in words: "30 min", "2.0 s".</summary>
    public static string Format(TimeSpan duration) =>
        duration >= TimeSpan.FromMinutes(1) && duration.Seconds == 0 && duration.Milliseconds == 0
            ? $"{duration.TotalMinutes:0} min"
            : $"{duration.TotalSeconds:0.0} s";

    [GeneratedRegex("password=[^,]*", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordPattern();
}
