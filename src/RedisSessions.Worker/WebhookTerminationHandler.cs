using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RedisSessions.Worker;

/// <summary>
/// POSTs each termination as JSON to <see cref="WebhookOptions.Url"/>, retrying network errors, timeouts, 408, 429 and
/// 5xx answers with exponential backoff. Other 4xx answers are not retried. When the host stops mid-way the pending
/// retry is cancelled and the termination handed back to the farm (another process posts it). Keep
/// MaxAttempts × (AttemptTimeout + backoff) under <see cref="SessionOptions.TerminationClaimTimeout"/>, or another
/// process retries the termination while this one still does.
/// </summary>
internal sealed class WebhookTerminationHandler(HttpClient http, IOptions<WebhookOptions> options, ILogger<WebhookTerminationHandler> logger) : ISessionTerminationHandler
{
    private readonly WebhookOptions _options = options.Value;

    public async Task HandleAsync(SessionTermination termination, CancellationToken cancellationToken)
    {
        var payload = WebhookPayload.From(termination, _options.IncludeData);
        var delay = _options.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.AttemptTimeout);
                try
                {
                    using var response = await http.PostAsJsonAsync(_options.Url, payload, WebhookJsonContext.Default.WebhookPayload, timeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        WorkerLog.WebhookDelivered(logger, payload.SessionId, (int)response.StatusCode, attempt);
                        return;
                    }
                    if (!IsRetryable(response.StatusCode))
                    {
                        throw new HttpRequestException($"The webhook refused session {payload.SessionId}: {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
                    }
                    problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                }
                catch (HttpRequestException ex) when (ex.StatusCode is null)
                {
                    problem = ex.Message;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    problem = $"no answer within {_options.AttemptTimeout}";
                }
            }
            if (attempt >= _options.MaxAttempts)
            {
                throw new HttpRequestException($"The webhook did not accept session {payload.SessionId} after {attempt} attempts (last: {problem}).");
            }
            WorkerLog.WebhookRetry(logger, payload.SessionId, attempt, _options.MaxAttempts, problem, delay);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
}

/// <summary>The JSON body of a webhook call.</summary>
internal sealed class WebhookPayload
{
    public required string SessionId { get; init; }
    public required string UserId { get; init; }
    public required string Reason { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset LastActivity { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset TerminatedAt { get; init; }
    public required string Node { get; init; }
    public int Attempt { get; init; }
    public IReadOnlyDictionary<string, string>? Data { get; init; }

    public static WebhookPayload From(SessionTermination termination, bool includeData) => new()
    {
        SessionId = termination.Session.SessionId,
        UserId = termination.Session.UserId,
        Reason = TerminationReasonNames.ToWire(termination.Reason),
        CreatedAt = termination.Session.CreatedAt,
        LastActivity = termination.Session.LastActivity,
        ExpiresAt = termination.Session.ExpiresAt,
        TerminatedAt = termination.TerminatedAt,
        Node = termination.Session.Node,
        Attempt = termination.Attempt,
        Data = includeData ? termination.Session.Data : null,
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
