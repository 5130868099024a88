using System.Diagnostics;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>Small helpers around calls that may fail while Redis is away.</summary>
public static class Calls
{
    /// <summary>Retries <paramref name="call"/> while it throws <see cref="SessionStoreUnavailableException"/>, until
    /// it succeeds; returns its result and how long that took.</summary>
    public static async Task<(T Result, TimeSpan Took)> UntilAvailableAsync<T>(Func<Task<T>> call, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        T result = default!;
        string last = "no attempt yet";
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                result = await call();
                return true;
            }
            catch (SessionStoreUnavailableException ex)
            {
                last = ex.Message;
                return false;
            }
        }, what, timeout ?? TimeSpan.FromSeconds(30), () => "last error: " + last);
        return (result, clock.Elapsed);
    }

    /// <summary>Calls <paramref name="call"/>, which must fail each time with <see cref="SessionStoreUnavailableException"/>
    /// within <paramref name="perCall"/>, until its message contains <paramref name="named"/> or <paramref name="within"/>
    /// has passed (counted from <paramref name="clock"/>); returns the last error and the number of calls. A refusal is
    /// named once Redis has answered an attempt: the first calls may meet attempts that had not got that far.</summary>
    public static async Task<(SessionStoreUnavailableException Error, int Calls)> UntilNamedAsync(
        Func<Task> call, string named, Stopwatch clock, TimeSpan within, TimeSpan perCall)
    {
        var attempts = 0;
        SessionStoreUnavailableException? error = null;
        while (clock.Elapsed < within && error?.Message.Contains(named, StringComparison.Ordinal) != true)
        {
            attempts++;
            (error, var took) = await FailsAsync<SessionStoreUnavailableException>(call);
            Xunit.Assert.True(took < perCall, $"a call took {took}");
        }
        return (error!, attempts);
    }

    /// <summary>Runs <paramref name="call"/>, which must throw <typeparamref name="TException"/>; returns it and how
    /// long the call took to fail.</summary>
    public static async Task<(TException Error, TimeSpan Took)> FailsAsync<TException>(Func<Task> call) where TException : Exception
    {
        var clock = Stopwatch.StartNew();
        var error = await Xunit.Assert.ThrowsAsync<TException>(call);
        return (error, clock.Elapsed);
    }
}
