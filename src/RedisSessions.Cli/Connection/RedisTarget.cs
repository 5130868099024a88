using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace RedisSessions.Cli.Connection;

/// <summary>Which Redis and which key prefix a command works on, and the library settings found beside them.
/// Precedence: command line, then <c>REDIS_URL</c> (Redis only), then the <c>RedisSessions</c> section of
/// <c>appsettings.json</c> in the current directory and of the environment (<c>RedisSessions__Configuration</c>,
/// <c>RedisSessions__KeyPrefix</c>), then <c>localhost:6379</c> and <c>rs</c>.</summary>
internal sealed class RedisTarget
{
    public const string DefaultConfiguration = "localhost:6379";

    private RedisTarget(ConfigurationOptions redis, string display, SessionOptions options)
    {
        Redis = redis;
        Display = display;
        Options = options;
    }

    /// <summary>Connection settings, ready for <see cref="ConnectionMultiplexer.ConnectAsync(ConfigurationOptions, TextWriter)"/>.</summary>
    public ConfigurationOptions Redis { get; }

    /// <summary>The servers, for messages (never the password).</summary>
    public string Display { get; }

    /// <summary>Library settings (from appsettings / the environment) with the prefix in force and background work off:
    /// the CLI's manager ends sessions (reason Admin) as the application would, with the application's retention.</summary>
    public SessionOptions Options { get; }

    public string Prefix => Options.KeyPrefix;

    public static RedisTarget Resolve(string? redisOption, string? prefixOption)
    {
        var settings = LoadSettings();
        var section = settings.GetSection(SessionOptions.SectionName);
        var options = new SessionOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw CliException.Usage($"the {SessionOptions.SectionName} settings (appsettings.json or environment) are not valid: {ex.Message}");
        }
        options.EnableAutoCleanup = false;
        options.TerminateOnShutdown = false;
        options.NodeName = $"redis-sessions-cli@{Environment.MachineName}/{Environment.ProcessId}";
        if (prefixOption is not null)
        {
            options.KeyPrefix = prefixOption;
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage(ex.Message.Replace("SessionOptions.KeyPrefix", "--prefix", StringComparison.Ordinal));
        }

        var configuration = FirstNonBlank(redisOption, Environment.GetEnvironmentVariable("REDIS_URL"), options.Configuration) ?? DefaultConfiguration;
        var redis = Parse(configuration);
        redis.AbortOnConnectFail = true; // an admin tool reports an unreachable Redis at once (exit 3), it doesn't wait for it
        redis.AllowAdmin = true;         // doctor reads CONFIG GET and INFO (and says so plainly where they are refused)
        if (!configuration.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            redis.ConnectTimeout = 3000; // fail fast when nothing answers (StackExchange.Redis waits this long even on a refusal)
        }
        redis.ClientName ??= "redis-sessions-cli";
        var display = string.Join(",", redis.EndPoints.Select(Format));
        return new RedisTarget(redis, display.Length > 0 ? display : configuration, options);
    }

    private static IConfigurationRoot LoadSettings()
    {
        try
        {
            return new ConfigurationBuilder()
                .SetBasePath(Directory.GetCurrentDirectory())
                .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
                .AddEnvironmentVariables()
                .Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
        {
            throw CliException.Usage($"appsettings.json can't be read: {OneLine(ex.Message)}");
        }
    }

    /// <summary>A StackExchange.Redis configuration string, or a <c>redis://[user:password@]host[:port][/db]</c> URL
    /// (<c>rediss://</c> for TLS), as REDIS_URL usually holds.</summary>
    internal static ConfigurationOptions Parse(string configuration)
    {
        if (configuration.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || configuration.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return FromUrl(configuration);
        }
        try
        {
            var options = ConfigurationOptions.Parse(configuration);
            if (options.EndPoints.Count == 0)
            {
                throw CliException.Usage($"the Redis configuration \"{configuration}\" names no server (expected host:port).");
            }
            return options;
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage($"the Redis configuration is not valid: {OneLine(ex.Message)}");
        }
    }

    private static ConfigurationOptions FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw CliException.Usage($"the Redis URL is not valid (expected redis://[user:password@]host[:port][/db]).");
        }
        var options = new ConfigurationOptions { Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        options.EndPoints.Add(uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            var user = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                if (user.Length > 0)
                {
                    options.User = user; // an ACL user (Redis 6+)
                }
                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                options.Password = user; // redis://password@host, as some providers write it
            }
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var database))
            {
                throw CliException.Usage($"the Redis URL's database \"{path}\" is not a number.");
            }
            options.DefaultDatabase = database;
        }
        return options;
    }

    private static string? FirstNonBlank(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    internal static string Format(System.Net.EndPoint endpoint) => endpoint switch
    {
        System.Net.IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "?",
    };

    internal static string OneLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
