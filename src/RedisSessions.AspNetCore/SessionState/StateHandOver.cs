namespace RedisSessions.AspNetCore.SessionState;

/// <summary>What a sign-in takes over from the browser's session state before it: the values that move into the new
/// session (data fields, already encoded) and the pre-sign-in session, which ends.</summary>
internal sealed class StateHandOver
{
    public static readonly StateHandOver None = new(new Dictionary<string, string>(), null);

    public StateHandOver(IReadOnlyDictionary<string, string> values, Session? anonymousSession)
    {
        Values = values;
        AnonymousSession = anonymousSession;
    }

    public IReadOnlyDictionary<string, string> Values { get; }

    public Session? AnonymousSession { get; }

    public StateHandOver WithoutValues() => new(new Dictionary<string, string>(), AnonymousSession);
}
