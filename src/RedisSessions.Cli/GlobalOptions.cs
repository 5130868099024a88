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

    /// <summary>Accepted and ignored: sessions store their last activity (field <c>last</c>), so nothing is derived
    /// from a timeout any more. Kept so that scripts written for earlier versions keep working; hidden from help.</summary>
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
        var option = DurationOption.Create("--inactive-timeout", "Ignored: sessions store their last activity.");
        option.Recursive = true;
        option.Hidden = true;
        return option;
    }
}
