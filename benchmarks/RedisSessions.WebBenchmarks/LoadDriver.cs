using System.Diagnostics;
using System.Net;

namespace RedisSessions.WebBenchmarks;

/// <summary>What one measured phase of one side did.</summary>
internal sealed record PhaseResult(long Requests, long Errors, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// A bounded closed-loop load: N clients, each a browser of its own (one keep-alive HTTP/1.1 connection, its own
/// cookies, its own signed-in user), requesting the signed-in page back to back for a fixed time. A request counts when
/// its whole answer was read and it was the signed-in page; anything else is an error.
/// </summary>
internal sealed class LoadDriver : IDisposable
{
    private readonly List<HttpClient> _clients;

    private LoadDriver(List<HttpClient> clients) => _clients = clients;

    public static async Task<LoadDriver> SignInAsync(Uri app, int clients, string userPrefix)
    {
        var list = new List<HttpClient>(clients);
        for (var i = 0; i < clients; i++)
        {
            var handler = new SocketsHttpHandler
            {
                UseCookies = true,
                CookieContainer = new CookieContainer(),
                AllowAutoRedirect = false,
                MaxConnectionsPerServer = 1,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            };
            var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = app, Timeout = TimeSpan.FromSeconds(30) };
            list.Add(client);
            using (var signIn = await client.PostAsync(new Uri($"signin?user={userPrefix}-{i}", UriKind.Relative), null))
            {
                signIn.EnsureSuccessStatusCode();
            }
            var page = await client.GetStringAsync(new Uri("/", UriKind.Relative));
            if (!page.StartsWith("Signed in as ", StringComparison.Ordinal) || !page.EndsWith("(dark)", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"After signing in, {app} answered: {page}");
            }
        }
        return new LoadDriver(list);
    }

    public async Task<PhaseResult> RunAsync(TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = _clients.Select(client => Task.Run(() => LoopAsync(client, end))).ToArray();
        var results = await Task.WhenAll(loops);
        var lastDone = results.Max(r => r.LastDone);
        var latencies = results.SelectMany(r => r.Latencies).ToArray();
        Array.Sort(latencies);
        return new PhaseResult(
            results.Sum(r => (long)r.Latencies.Count),
            results.Sum(r => r.Errors),
            Stopwatch.GetElapsedTime(start, Math.Max(lastDone, start + 1)),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99));
    }

    private static async Task<Loop> LoopAsync(HttpClient client, long end)
    {
        var loop = new Loop();
        var page = new Uri("/", UriKind.Relative);
        while (Stopwatch.GetTimestamp() < end)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var answer = await client.GetAsync(page);
                var body = await answer.Content.ReadAsStringAsync();
                var done = Stopwatch.GetTimestamp();
                loop.LastDone = done;
                if (answer.StatusCode == HttpStatusCode.OK && body.StartsWith("Signed in as ", StringComparison.Ordinal))
                {
                    loop.Latencies.Add(done - started);
                }
                else
                {
                    loop.Errors++;
                }
            }
            catch (HttpRequestException)
            {
                loop.Errors++;
                loop.LastDone = Stopwatch.GetTimestamp();
            }
        }
        return loop;
    }

    private static double Percentile(long[] sortedTicks, double quantile) =>
        sortedTicks.Length == 0 ? double.NaN
            : sortedTicks[Math.Min(sortedTicks.Length - 1, (int)(quantile * sortedTicks.Length))] * 1000.0 / Stopwatch.Frequency;

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private sealed class Loop
    {
        public List<long> Latencies { get; } = new(64 * 1024);

        public long Errors { get; set; }

        public long LastDone { get; set; }
    }
}
