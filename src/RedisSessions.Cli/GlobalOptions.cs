using System.CommandLine;
using RedisSessions.Cli.Commands;

namespace RedisSessions.Cli;

/// <summary>The options every command takes (declared once on the root command, recursive).</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Redis { get; } = new("--redis")
    {
        Description = "Redis to inspect: a StackExchange.Redis configuration string (host:port[,host:port...][,password=...]) "
            + "or a redis:// URL. Default: REDIS_URL, then RedisSessions:Configuration (appsettings.json or the "
            + "RedisSessions__Configuration variable), then localhost:6379.",
        HelpName = "configuration",
        Recursive = true,
    };

    public Option<string?> Prefix { get; } = new("--prefix")
    {
        Description = "Key prefix of the sessions. Default: RedisSessions:KeyPrefix (appsettings.json or the environment), then rs.",
        HelpName = "key prefix",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON (System.Text.Json, snake_case) for scripts instead of tables.",
        Recursive = true,
    };

    /// <summary>An override of the inactivity timeout. Session hashes don't store it: a session's last activity is its
    /// expiry minus the creating node's timeout (unless capped by an absolute deadline), which the CLI reads from the
    /// node registry; this option replaces it for every session.</summary>
    public Option<TimeSpan?> InactiveTimeout { get; } = CreateInactiveTimeout();

    public void AddTo(Command root)
    {
        root.Options.Add(Redis);
        root.Options.Add(Prefix);
        root.Options.Add(Json);
        root.Options.Add(InactiveTimeout);
    }

    private static Option<TimeSpan?> CreateInactiveTimeout()
    {
        var option = DurationOption.Create("--inactive-timeout",
            "Override the InactiveTimeout that last activity and idle times are derived from (sessions store their "
            + "expiry, not their last activity). Default: each session's creating node's InactiveTimeout, as that node "
            + "recorded it in the node registry ({prefix}:nodes); for a node with no record there (older data, a registry "
            + "deleted by hand), RedisSessions:InactiveTimeout (appsettings.json or the environment), then 30m.");
        option.Recursive = true;
        return option;
    }
}
