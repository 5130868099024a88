using System.Text.Json;
using System.Text.Json.Serialization;

namespace RedisSessions;

public sealed partial class SessionOptions
{
    /// <summary>Reads a JSON configuration file: snake_case keys, durations in seconds, e.g.
    /// <c>{"inactive_timeout": 1800, "cleanup_interval": 300, "max_sessions_per_user": 5, "enable_auto_cleanup": true}</c>.
    /// Also accepts <c>absolute_timeout</c>, <c>limit_policy</c> (<c>"evict_oldest"</c> or <c>"reject_new"</c>),
    /// <c>key_prefix</c>, <c>max_data_bytes</c>, <c>redis</c> (the configuration string), <c>node_name</c> and
    /// <c>terminate_on_shutdown</c>. Unknown keys are an error (a typo should not silently fall back to a default).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The file is not valid JSON of that shape, or a value is out of range.</exception>
    public static SessionOptions FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Session configuration file not found: {path}", path);
        }
        using var stream = File.OpenRead(path);
        return FromJson(stream, path);
    }

    /// <summary>Reads that JSON shape from a stream (see <see cref="FromFile"/>).</summary>
    public static SessionOptions FromJson(Stream json, string sourceName = "JSON")
    {
        ArgumentNullException.ThrowIfNull(json);
        SessionConfigFile? file;
        try
        {
            file = JsonSerializer.Deserialize(json, SessionConfigFileJsonContext.Default.SessionConfigFile);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Session configuration {sourceName} is not valid: {ex.Message}", ex);
        }
        if (file is null)
        {
            throw new ArgumentException($"Session configuration {sourceName} is empty (null).");
        }
        var options = new SessionOptions();
        if (file.InactiveTimeout is { } inactive) { options.InactiveTimeout = Seconds(inactive, "inactive_timeout", sourceName); }
        if (file.CleanupInterval is { } cleanup) { options.CleanupInterval = Seconds(cleanup, "cleanup_interval", sourceName); }
        if (file.AbsoluteTimeout is { } absolute) { options.AbsoluteTimeout = Seconds(absolute, "absolute_timeout", sourceName); }
        if (file.MaxSessionsPerUser is { } max) { options.MaxSessionsPerUser = max; }
        if (file.EnableAutoCleanup is { } auto) { options.EnableAutoCleanup = auto; }
        if (file.KeyPrefix is { } prefix) { options.KeyPrefix = prefix; }
        if (file.MaxDataBytes is { } bytes) { options.MaxDataBytes = bytes; }
        if (file.Redis is { } redis) { options.Configuration = redis; }
        if (file.NodeName is { } node) { options.NodeName = node; }
        if (file.TerminateOnShutdown is { } tos) { options.TerminateOnShutdown = tos; }
        if (file.LimitPolicy is { } policy)
        {
            options.LimitPolicy = policy switch
            {
                "evict_oldest" => SessionLimitPolicy.EvictOldest,
                "reject_new" => SessionLimitPolicy.RejectNew,
                _ => throw new ArgumentException($"Session configuration {sourceName}: limit_policy must be \"evict_oldest\" or \"reject_new\" (was \"{policy}\")."),
            };
        }
        foreach (var problem in options.GetProblems())
        {
            throw new ArgumentException($"Session configuration {sourceName}: {problem}");
        }
        return options;
    }

    private static TimeSpan Seconds(double value, string key, string source)
    {
        if (double.IsNaN(value) || value <= 0 || value > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new ArgumentException($"Session configuration {source}: {key} must be a positive number of seconds (was {value}).");
        }
        return TimeSpan.FromSeconds(value);
    }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class SessionConfigFile
{
    public double? InactiveTimeout { get; set; }
    public double? CleanupInterval { get; set; }
    public double? AbsoluteTimeout { get; set; }
    public int? MaxSessionsPerUser { get; set; }
    public bool? EnableAutoCleanup { get; set; }
    public string? LimitPolicy { get; set; }
    public string? KeyPrefix { get; set; }
    public int? MaxDataBytes { get; set; }
    public string? Redis { get; set; }
    public string? NodeName { get; set; }
    public bool? TerminateOnShutdown { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(SessionConfigFile))]
internal sealed partial class SessionConfigFileJsonContext : JsonSerializerContext;
