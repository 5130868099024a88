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

    /// <summary>Runs <paramref name="call"/>, which must throw <typeparamref name="TException"/>; returns it and how
    /// long the call took to fail.</summary>
    public static async Task<(TException Error, TimeSpan Took)> FailsAsync<TException>(Func<Task> call) where TException : Exception
    {
        var clock = Stopwatch.StartNew();
        var error = await Xunit.Assert.ThrowsAsync<TException>(call);
        return (error, clock.Elapsed);
    }
}
