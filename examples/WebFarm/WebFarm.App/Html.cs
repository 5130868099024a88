using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using RedisSessions;
using RedisSessions.AspNetCore;

namespace WebFarm.App;

/// <summary>The pages, as plain server-rendered HTML. Element names and data-testid attributes are a contract the farm's
/// browser tests rely on: the sign-in form (<c>input[name=username]</c>, <c>input[name=password]</c>, a submit button),
/// <c>data-testid="node"</c> on every page, <c>data-testid="signed-out-reason"</c>, and on the devices page one
/// <c>data-testid="session-row"</c> per session (<c>data-session-id</c>, <c>data-current</c>) with a
/// <c>data-testid="sign-out-session"</c> button, and a <c>data-testid="sign-out-others"</c> button.</summary>
internal static class Html
{
    private static string E(string? value) => HtmlEncoder.Default.Encode(value ?? string.Empty);

    private static string Time(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Page(string title, string node, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>{{E(title)}} · WebFarm</title>
          <style>
            body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
            header { display: flex; justify-content: space-between; border-bottom: 1px solid #ddd; padding-bottom: .5rem; margin-bottom: 1rem; }
            .notice { background: #fff4d6; border: 1px solid #e6c35c; padding: .5rem 1rem; }
            .error { background: #fde2e2; border: 1px solid #e08a8a; padding: .5rem 1rem; }
            table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #eee; padding: .4rem; text-align: left; }
            tr[data-current="true"] { background: #eef6ff; }
            label { display: block; margin: .5rem 0; } form.inline { display: inline; }
          </style>
        </head>
        <body>
          <header><a href="/">WebFarm</a><span>served by <strong data-testid="node">{{E(node)}}</strong></span></header>
          <main>
        {{body}}
          </main>
        </body>
        </html>
        """;

    public static string Token(AntiforgeryTokenSet tokens) =>
        $"""<input type="hidden" name="{E(tokens.FormFieldName)}" value="{E(tokens.RequestToken)}">""";

    public static string SignInForm(AntiforgeryTokenSet tokens, string? returnUrl, SessionEnd? ended, string? error, bool storeUnavailable, string? username)
    {
        var body = new StringBuilder("<h1>Sign in</h1>\n");
        if (ended is not null)
        {
            var reason = ended.Reason is { } r ? TerminationReasonNames.ToWire(r) : "unknown";
            body.Append(CultureInfo.InvariantCulture, $"""<p class="notice" data-testid="signed-out-reason" data-reason="{E(reason)}">{E(Explain(ended.Reason))}</p>""").Append('\n');
        }
        if (storeUnavailable)
        {
            body.Append("""<p class="error" data-testid="store-unavailable">The session store can't be reached right now, so nobody can be signed in. Please try again in a moment.</p>""").Append('\n');
        }
        if (error is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"""<p class="error" data-testid="sign-in-error">{E(error)}</p>""").Append('\n');
        }
        body.Append(CultureInfo.InvariantCulture, $"""
            <form method="post" action="/login">
              {Token(tokens)}
              <input type="hidden" name="returnUrl" value="{E(returnUrl)}">
              <label>User name <input name="username" autocomplete="username" required maxlength="64" value="{E(username)}"></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
              <button type="submit" data-testid="sign-in">Sign in</button>
            </form>
            <p>Any user name will do; the password is <code>demo</code>.</p>
            """);
        return body.ToString();
    }

    public static string Home(AntiforgeryTokenSet tokens, string user, int views) => $"""
        <h1>Welcome</h1>
        <p data-testid="signed-in">Signed in as {E(user)}</p>
        <p>Pages viewed in this sign-in (kept in <code>HttpContext.Session</code>, on whichever node serves you): <span data-testid="views">{views}</span></p>
        <p><a href="/account/sessions" data-testid="devices-link">Your devices</a></p>
        <form method="post" action="/logout">
          {Token(tokens)}
          <button type="submit" data-testid="sign-out">Sign out</button>
        </form>
        """;

    public static string Devices(AntiforgeryTokenSet tokens, string user, IReadOnlyList<DeviceSession> devices, int? endedOthers)
    {
        var rows = new StringBuilder();
        foreach (var device in devices)
        {
            rows.Append(CultureInfo.InvariantCulture, $"""
                    <tr data-testid="session-row" data-session-id="{E(device.SessionId)}" data-current="{(device.IsCurrent ? "true" : "false")}">
                      <td>{(device.IsCurrent ? "<strong>This browser</strong><br>" : "")}{E(device.UserAgent ?? "unknown browser")}</td>
                      <td data-testid="session-node">{E(device.Node)}</td>
                      <td>{Time(device.CreatedAt)}</td>
                      <td>{Time(device.LastActivity)}</td>
                      <td>
                        <form class="inline" method="post" action="/account/sessions/{Uri.EscapeDataString(device.SessionId)}/sign-out">
                          {Token(tokens)}
                          <button type="submit" data-testid="sign-out-session">Sign out</button>
                        </form>
                      </td>
                    </tr>

                """);
        }
        var notice = endedOthers is { } n
            ? $"""<p class="notice" data-testid="signed-out-others">Signed out {n} other session{(n == 1 ? "" : "s")}.</p>"""
            : string.Empty;
        return $"""
            <h1>Your devices</h1>
            <p>Signed in as {E(user)}: {devices.Count} active session{(devices.Count == 1 ? "" : "s")}.</p>
            {notice}
            <form method="post" action="/account/sessions/sign-out-others">
              {Token(tokens)}
              <button type="submit" data-testid="sign-out-others">Sign out all other sessions</button>
            </form>
            <table>
              <thead><tr><th>Browser</th><th>Signed in on</th><th>Signed in</th><th>Last activity</th><th></th></tr></thead>
              <tbody>
            {rows}  </tbody>
            </table>
            <p><a href="/">Home</a></p>
            """;
    }

    public static string Message(string title, string text) => $"""
        <h1>{E(title)}</h1>
        <p class="error">{E(text)}</p>
        <p><a href="/">Home</a></p>
        """;

    /// <summary>Why this browser is no longer signed in, in words.</summary>
    public static string Explain(TerminationReason? reason) => reason switch
    {
        TerminationReason.Evicted => "You were signed out because you signed in on another device and reached the limit of active sessions.",
        TerminationReason.Terminated => "You were signed out: this session was ended from another device.",
        TerminationReason.Admin => "You were signed out by an administrator.",
        TerminationReason.Expired => "You were signed out after a period of inactivity.",
        TerminationReason.AbsoluteTimeout => "You were signed out because your session reached its maximum lifetime.",
        TerminationReason.Shutdown => "You were signed out because the server holding your session shut down.",
        _ => "Your session has ended. Please sign in again.",
    };
}
