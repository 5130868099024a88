namespace RedisSessions.AspNetCore;

/// <summary>One signed-in device (browser) of the current user, for a "your devices" page.</summary>
public sealed class DeviceSession
{
    internal DeviceSession(Session session, bool isCurrent)
    {
        SessionId = session.SessionId;
        CreatedAt = session.CreatedAt;
        LastActivity = session.LastActivity;
        ExpiresAt = session.ExpiresAt;
        UserAgent = session.GetData(WebSessionDataKeys.UserAgent);
        RemoteIpAddress = session.GetData(WebSessionDataKeys.RemoteIpAddress);
        Node = session.Node;
        IsCurrent = isCurrent;
    }

    /// <summary>The session id (what <see cref="DeviceSessionService.EndDeviceAsync"/> takes).</summary>
    public string SessionId { get; }

    /// <summary>When the device signed in.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The last recorded activity (to <see cref="SessionOptions.ActivityResolution"/>).</summary>
    public DateTimeOffset LastActivity { get; }

    /// <summary>When the session ends without further activity.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The browser's <c>User-Agent</c> at sign-in; null when not recorded (or the session was not created by
    /// a sign-in through the ticket store).</summary>
    public string? UserAgent { get; }

    /// <summary>The client's IP address at sign-in, when <see cref="RedisSessionsAspNetCoreOptions.RecordRemoteIpAddress"/> is on.</summary>
    public string? RemoteIpAddress { get; }

    /// <summary>The server (<see cref="SessionOptions.NodeName"/>) the device signed in on.</summary>
    public string Node { get; }

    /// <summary>Whether this is the browser making the request.</summary>
    public bool IsCurrent { get; }
}
