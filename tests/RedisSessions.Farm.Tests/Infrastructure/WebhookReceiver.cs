using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace RedisSessions.Farm.Tests.Infrastructure;

/// <summary>An HTTP endpoint for the worker's webhook: records every POST and answers what <see cref="Answer"/> says
/// (a status code, or null to never answer).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public WebhookReceiver(Func<JsonElement, int, int?> answer)
    {
        Answer = answer;
        Url = $"http://127.0.0.1:{LoopbackPorts.Free()}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    /// <summary>(payload, how many times this session was posted before) → status to answer, or null for no answer.</summary>
    public Func<JsonElement, int, int?> Answer { get; }

    public ConcurrentQueue<(string SessionId, JsonElement Payload, int Status)> Calls { get; } = new();

    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using var document = await JsonDocument.ParseAsync(context.Request.InputStream);
                var payload = document.RootElement.Clone();
                var sessionId = payload.GetProperty("session_id").GetString()!;
                var before = _seen.AddOrUpdate(sessionId, 1, (_, n) => n + 1) - 1;
                var status = Answer(payload, before);
                Calls.Enqueue((sessionId, payload, status ?? 0));
                if (status is null)
                {
                    return; // never answer: the caller times out or is cancelled
                }
                context.Response.StatusCode = status.Value;
                context.Response.Close();
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        _stop.Dispose();
    }
}
