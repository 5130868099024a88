using Microsoft.Extensions.Options;

namespace RedisSessions.Worker;

/// <summary>The optional webhook (section <c>Webhook</c>; environment variables <c>Webhook__Url</c>, ...).</summary>
internal sealed class WebhookOptions
{
    public const string SectionName = "Webhook";

    /// <summary>Where every termination is POSTed as JSON. Unset: no webhook.</summary>
    public Uri? Url { get; set; }

    /// <summary>Attempts per termination, the first included. Defaults to 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the second attempt; doubles each time up to <see cref="MaxBackoff"/>. Defaults to 0.5 s.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between attempts. Defaults to 8 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>Timeout of one attempt. Defaults to 5 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the session's data goes into the payload. Defaults to false (data may be sensitive).</summary>
    public bool IncludeData { get; set; }
}

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var problems = new List<string>();
        if (options.Url is null || !options.Url.IsAbsoluteUri || (options.Url.Scheme != Uri.UriSchemeHttp && options.Url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"Webhook:Url must be an absolute http(s) URL (was \"{options.Url}\").");
        }
        if (options.MaxAttempts is < 1 or > 100)
        {
            problems.Add($"Webhook:MaxAttempts must be between 1 and 100 (was {options.MaxAttempts}).");
        }
        if (options.InitialBackoff < TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            problems.Add($"Webhook:InitialBackoff must be >= 0 and <= Webhook:MaxBackoff (were {options.InitialBackoff} and {options.MaxBackoff}).");
        }
        if (options.AttemptTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Webhook:AttemptTimeout must be > 0 (was {options.AttemptTimeout}).");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
