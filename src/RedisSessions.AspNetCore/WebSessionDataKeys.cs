namespace RedisSessions.AspNetCore;

/// <summary>The session data fields the ASP.NET Core integration writes (<see cref="Session.Data"/>), for code that reads
/// sessions elsewhere: a termination handler, the CLI, a devices page of your own. Everything else in a session's data
/// belongs to the application.</summary>
public static class WebSessionDataKeys
{
    /// <summary>The authentication ticket, serialized and protected with Data Protection: <c>aspnet:ticket</c>.
    /// Opaque; only the ticket store of the same application can read it.</summary>
    public const string Ticket = "aspnet:ticket";

    /// <summary>The <c>User-Agent</c> header at sign-in: <c>aspnet:user-agent</c>.</summary>
    public const string UserAgent = "aspnet:user-agent";

    /// <summary>The client's IP address at sign-in, when recorded: <c>aspnet:remote-ip</c>.</summary>
    public const string RemoteIpAddress = "aspnet:remote-ip";

    /// <summary>The prefix of <c>HttpContext.Session</c> values (base64 of the bytes): <c>state:</c> followed by the key.</summary>
    public const string StatePrefix = "state:";

    /// <summary>The prefix of the RedisSessions user id of a browser's session state before it signs in:
    /// <c>~state:</c> followed by the session cookie's key.</summary>
    public const string AnonymousStateUserPrefix = "~state:";
}
