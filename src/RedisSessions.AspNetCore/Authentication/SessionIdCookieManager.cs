using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RedisSessions.AspNetCore.Authentication;

/// <summary>
/// Wraps the scheme's cookie manager so a sign-in on a browser that is already signed in writes the new session's id.
/// The cookie handler hands such a sign-in to <see cref="ITicketStore.RenewAsync(string, AuthenticationTicket, HttpContext, CancellationToken)"/>
/// with the old session key and then writes that key into the cookie; the ticket store creates a new session instead
/// (every sign-in gets a new id, so a session id planted in a browser before sign-in is worthless after it) and asks
/// this manager, through <see cref="HttpContext.Items"/>, to put the new id into the cookie the handler writes next.
/// Everything else goes straight to the wrapped manager.
/// </summary>
internal sealed class SessionIdCookieManager : ICookieManager
{
    private readonly ICookieManager _inner;
    private readonly string _scheme;
    private readonly CookieAuthenticationOptions _options;

    public SessionIdCookieManager(ICookieManager inner, string scheme, CookieAuthenticationOptions options)
    {
        _inner = inner;
        _scheme = scheme;
        _options = options;
    }

    /// <summary>The manager this one wraps.</summary>
    public ICookieManager Inner => _inner;

    /// <summary>Asks the manager of <paramref name="scheme"/> to write <paramref name="newSessionId"/> where the cookie
    /// the handler writes next in this request says <paramref name="oldSessionId"/>.</summary>
    public static void RequestReplacement(HttpContext context, string scheme, string oldSessionId, string newSessionId) =>
        context.Items[new ReplacementKey(scheme)] = new Replacement(oldSessionId, newSessionId);

    public string? GetRequestCookie(HttpContext context, string key) => _inner.GetRequestCookie(context, key);

    public void DeleteCookie(HttpContext context, string key, CookieOptions options)
    {
        context.Items.Remove(new ReplacementKey(_scheme));
        _inner.DeleteCookie(context, key, options);
    }

    public void AppendResponseCookie(HttpContext context, string key, string? value, CookieOptions options)
    {
        if (value is not null
            && string.Equals(key, _options.Cookie.Name, StringComparison.Ordinal)
            && context.Items.Remove(new ReplacementKey(_scheme), out var pending)
            && pending is Replacement replacement)
        {
            value = Rewrite(context, value, replacement) ?? value;
        }
        _inner.AppendResponseCookie(context, key, value, options);
    }

    /// <summary>The handler's cookie ticket holds one claim, the session key: the same ticket with the new key.</summary>
    private string? Rewrite(HttpContext context, string value, Replacement replacement)
    {
        var purpose = TokenBinding(context);
        var ticket = _options.TicketDataFormat.Unprotect(value, purpose);
        if (ticket is null)
        {
            return null;
        }
        var replaced = false;
        var principal = new ClaimsPrincipal();
        foreach (var identity in ticket.Principal.Identities)
        {
            var copy = new ClaimsIdentity(identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType);
            foreach (var claim in identity.Claims)
            {
                if (string.Equals(claim.Value, replacement.OldSessionId, StringComparison.Ordinal))
                {
                    copy.AddClaim(new Claim(claim.Type, replacement.NewSessionId, claim.ValueType, claim.Issuer, claim.OriginalIssuer));
                    replaced = true;
                }
                else
                {
                    copy.AddClaim(claim.Clone(copy));
                }
            }
            principal.AddIdentity(copy);
        }
        return replaced ? _options.TicketDataFormat.Protect(new AuthenticationTicket(principal, ticket.Properties, ticket.AuthenticationScheme), purpose) : null;
    }

    /// <summary>The purpose the cookie handler protects its cookie with (the TLS token binding id, when there is one).</summary>
    private static string? TokenBinding(HttpContext context) =>
        context.Features.Get<ITlsTokenBindingFeature>()?.GetProvidedTokenBindingId() is { } binding ? Convert.ToBase64String(binding) : null;

    private readonly record struct ReplacementKey(string Scheme);

    private sealed record Replacement(string OldSessionId, string NewSessionId);
}
