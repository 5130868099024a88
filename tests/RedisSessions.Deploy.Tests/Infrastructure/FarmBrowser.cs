using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace RedisSessions.Deploy.Tests.Infrastructure;

/// <summary>A page of the farm as a browser got it.</summary>
public sealed partial record FarmPage(Uri Url, HttpStatusCode Status, IHtmlDocument Document)
{
    /// <summary>The node that served the page: the text of its <c>[data-testid=node]</c> element.</summary>
    public string? Node => Document.QuerySelector("[data-testid=node]")?.TextContent.Trim();

    /// <summary>The page's visible text, whitespace runs made one space.</summary>
    public string Text => Spaces().Replace(Document.Body?.TextContent ?? "", " ").Trim();

    public bool HasSignInForm => Document.QuerySelector("input[name=username]") is not null;

    public override string ToString() => $"{(int)Status} {Url} (node {Node ?? "?"}): {Text[..Math.Min(Text.Length, 300)]}";

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

/// <summary>Talks to the farm like a browser: keeps cookies, follows redirects, fills and posts the sign-in form with
/// every hidden field it carries (the antiforgery token).</summary>
public sealed class FarmBrowser : IDisposable
{
    private readonly HttpClient _http;
    private readonly HtmlParser _parser = new();

    public FarmBrowser(Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            UseCookies = true,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            PooledConnectionLifetime = TimeSpan.FromSeconds(5),
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task<FarmPage> GetAsync(string path) => await ReadAsync(await _http.GetAsync(new Uri(path, UriKind.Relative)));

    /// <summary>Fetches <c>/</c>, fills its sign-in form (the form holding <c>input[name=username]</c>) and posts it.</summary>
    public async Task<FarmPage> SignInAsync(string user, string password)
    {
        var page = await GetAsync("/");
        var form = page.Document.QuerySelector("input[name=username]")?.Closest("form")
            ?? throw new InvalidOperationException($"No sign-in form (input[name=username] in a form) on {page}");
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var field in form.QuerySelectorAll("input[name], textarea[name], select[name]"))
        {
            var name = field.GetAttribute("name")!;
            var type = (field.GetAttribute("type") ?? "text").ToLowerInvariant();
            if (type is "submit" or "button" or "image" or "reset" or "file" || name is "username" or "password")
            {
                continue;
            }
            if (type is "checkbox" or "radio" && !field.HasAttribute("checked"))
            {
                continue;
            }
            fields.Add(new(name, field.GetAttribute("value") ?? ""));
        }
        fields.Add(new("username", user));
        fields.Add(new("password", password));
        var action = form.GetAttribute("action");
        var target = string.IsNullOrWhiteSpace(action) ? page.Url : new Uri(page.Url, action);
        if (!string.Equals(form.GetAttribute("method"), "post", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"The sign-in form does not post: {form.OuterHtml}");
        }
        using var content = new FormUrlEncodedContent(fields);
        return await ReadAsync(await _http.PostAsync(target, content));
    }

    /// <summary>Signs out: posts the page's form to <c>/logout</c> when <c>/</c> has one (with its antiforgery token),
    /// else follows <c>GET /logout</c>.</summary>
    public async Task<FarmPage> SignOutAsync()
    {
        var page = await GetAsync("/");
        var form = page.Document.QuerySelectorAll("form")
            .FirstOrDefault(f => (f.GetAttribute("action") ?? "").TrimEnd('/').EndsWith("/logout", StringComparison.OrdinalIgnoreCase)
                && string.Equals(f.GetAttribute("method"), "post", StringComparison.OrdinalIgnoreCase));
        if (form is null)
        {
            return await GetAsync("/logout");
        }
        var fields = form.QuerySelectorAll("input[name]")
            .Where(f => (f.GetAttribute("type") ?? "text").ToLowerInvariant() is not ("submit" or "button" or "image" or "reset"))
            .Select(f => new KeyValuePair<string, string>(f.GetAttribute("name")!, f.GetAttribute("value") ?? ""))
            .ToList();
        using var content = new FormUrlEncodedContent(fields);
        return await ReadAsync(await _http.PostAsync(new Uri(page.Url, form.GetAttribute("action")), content));
    }

    private async Task<FarmPage> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var html = await response.Content.ReadAsStringAsync();
            var document = await _parser.ParseDocumentAsync(html);
            return new FarmPage(response.RequestMessage?.RequestUri ?? _http.BaseAddress!, response.StatusCode, document);
        }
    }

    public void Dispose() => _http.Dispose();
}
