// Example 3 — configuration from JSON, two ways:
//   1. the JSON configuration file's shape (snake_case keys, durations in seconds) read with SessionOptions.FromFile;
//   2. the "RedisSessions" section of appsettings.json, bound through Microsoft.Extensions.Configuration by
//      services.AddRedisSessions() — what an ASP.NET Core or worker application does.
// The Redis server is not in either file: it comes from the environment variable RedisSessions__Configuration,
// which configuration binding maps to RedisSessions:Configuration.
//
// Run it:  RedisSessions__Configuration=localhost:6379 dotnet run --project examples/JsonConfiguration
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RedisSessions;
using RedisSessions.Examples;

const string KeyPrefix = "example-json";

return await Example.RunAsync("Example 3: configuration from JSON", async redis =>
{
    await FromConfigFileAsync(redis);
    await FromAppSettingsAsync(redis);
});

// Part 1: config/session_config.json, the JSON configuration file.
static async Task FromConfigFileAsync(string redis)
{
    Example.Part("Part 1: the JSON configuration file, read with SessionOptions.FromFile");
    var path = Path.Combine(AppContext.BaseDirectory, "config", "session_config.json");
    Example.Step("Read config/session_config.json (snake_case keys, durations in seconds):");
    foreach (var line in await File.ReadAllLinesAsync(path))
    {
        Example.Say($"  {line}");
    }
    var options = SessionOptions.FromFile(path);
    Example.Say($"InactiveTimeout    = {options.InactiveTimeout}");
    Example.Say($"CleanupInterval    = {options.CleanupInterval}");
    Example.Say($"MaxSessionsPerUser = {options.MaxSessionsPerUser}");
    Example.Say($"EnableAutoCleanup  = {options.EnableAutoCleanup}");
    Example.Check(options.InactiveTimeout == TimeSpan.FromSeconds(1800) && options.CleanupInterval == TimeSpan.FromSeconds(300)
        && options.MaxSessionsPerUser == 5 && options.EnableAutoCleanup, "every value of the file was read, seconds turned into durations");

    Example.Step("A misspelt key is an error that names it, not a setting silently left at its default:");
    try
    {
        using var typo = new MemoryStream(Encoding.UTF8.GetBytes("""{"inactive_timout": 600}"""));
        SessionOptions.FromJson(typo, "typo.json");
        throw new ExampleFailedException("a configuration file with an unknown key was accepted.");
    }
    catch (ArgumentException ex)
    {
        Example.Say($"ArgumentException: {ex.Message}");
        Example.Check(ex.Message.Contains("inactive_timout", StringComparison.Ordinal), "the error names the misspelt key");
    }

    Example.Step("Connect with these options and create a session.");
    options.KeyPrefix = KeyPrefix; // not part of the JSON file; keeps this example's keys apart in Redis
    await using var manager = await SessionManager.ConnectAsync(redis, options);
    Example.Check(manager.AutoCleanupRunning, "the background cleanup runs, as \"enable_auto_cleanup\": true asks");
    try
    {
        var session = await manager.CreateSessionAsync("frank", new Dictionary<string, string> { ["source"] = "session_config.json" });
        Example.Say($"Session {session.SessionId} of \"frank\" ends at {session.ExpiresAt:HH:mm:ss} unless he is active again.");
        Example.Check(session.ExpiresAt - session.CreatedAt == TimeSpan.FromMinutes(30),
            "the session lasts 30 min, the file's \"inactive_timeout\": 1800");
    }
    finally
    {
        await Example.CleanUpAsync(async () =>
        {
            Example.Step("Clean up: end frank's sessions.");
            Example.Say($"Ended {await manager.TerminateUserSessionsAsync("frank")} session(s).");
        });
    }
}

// Part 2: appsettings.json + environment variables, bound by services.AddRedisSessions().
static async Task FromAppSettingsAsync(string redis)
{
    Example.Part("Part 2: the \"RedisSessions\" section of appsettings.json, with dependency injection");
    Example.Step("Build the configuration as a .NET host does: appsettings.json, then environment variables on top.");
    var configuration = BuildConfiguration(redis);
    foreach (var (key, value) in configuration.GetSection(SessionOptions.SectionName).AsEnumerable(makePathsRelative: true)
        .Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        Example.Say($"RedisSessions:{key} = {(key == nameof(SessionOptions.Configuration) ? Example.Redact(value!) : value)}");
    }

    Example.Step("Register RedisSessions in a service collection with services.AddRedisSessions().");
    var services = new ServiceCollection();
    services.AddSingleton<IConfiguration>(configuration); // a host registers this itself
    services.AddRedisSessions(); // binds the "RedisSessions" section; validates it when first used
    await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

    Example.Step("Ask the container for the SessionManager (one per application) and look at the options it got.");
    var manager = provider.GetRequiredService<SessionManager>();
    var bound = manager.Options;
    Example.Say($"Configuration = {Example.Redact(bound.Configuration ?? "(none)")}, KeyPrefix = {bound.KeyPrefix}");
    Example.Say($"InactiveTimeout = {bound.InactiveTimeout}, CleanupInterval = {bound.CleanupInterval}");
    Example.Say($"MaxSessionsPerUser = {bound.MaxSessionsPerUser}, LimitPolicy = {bound.LimitPolicy}, EnableAutoCleanup = {bound.EnableAutoCleanup}");
    Example.Check(bound.InactiveTimeout == TimeSpan.FromMinutes(20) && bound.CleanupInterval == TimeSpan.FromMinutes(1)
        && bound.MaxSessionsPerUser == 2 && bound.LimitPolicy == SessionLimitPolicy.RejectNew && bound.KeyPrefix == KeyPrefix,
        "the values of appsettings.json were bound");
    Example.Check(bound.Configuration == redis, "the Redis server came from the environment variable");

    try
    {
        Example.Step("Use it: \"grace\" logs in twice, which the limit of 2 sessions allows, then a third time.");
        var first = await manager.CreateSessionAsync("grace");
        await manager.CreateSessionAsync("grace");
        Example.Check(first.ExpiresAt - first.CreatedAt == TimeSpan.FromMinutes(20), "sessions last 20 min, as appsettings.json says");
        try
        {
            await manager.CreateSessionAsync("grace");
            throw new ExampleFailedException("a third session was created although MaxSessionsPerUser is 2 with RejectNew.");
        }
        catch (SessionLimitExceededException ex)
        {
            Example.Say($"Third login refused: {ex.Message}");
        }
        Example.Check((await manager.GetUserSessionsAsync("grace")).Count == 2, "grace has exactly 2 sessions");
    }
    finally
    {
        await Example.CleanUpAsync(async () =>
        {
            Example.Step("Clean up: end grace's sessions.");
            Example.Say($"Ended {await manager.TerminateUserSessionsAsync("grace")} session(s).");
        });
    }

    Example.Step("A bad value in the configuration is refused with a message naming the setting (a host checks at start-up):");
    var broken = new ServiceCollection();
    broken.AddSingleton<IConfiguration>(new ConfigurationBuilder()
        .AddConfiguration(configuration)
        .AddInMemoryCollection(new Dictionary<string, string?> { ["RedisSessions:MaxSessionsPerUser"] = "-1" })
        .Build());
    broken.AddRedisSessions();
    await using var brokenProvider = broken.BuildServiceProvider();
    try
    {
        brokenProvider.GetRequiredService<SessionManager>();
        throw new ExampleFailedException("a SessionManager was created with MaxSessionsPerUser = -1.");
    }
    catch (OptionsValidationException ex)
    {
        Example.Say($"OptionsValidationException: {ex.Message}");
        Example.Check(ex.Message.Contains("MaxSessionsPerUser", StringComparison.Ordinal), "the error names MaxSessionsPerUser");
    }
}

// appsettings.json next to the program, then environment variables (RedisSessions__Configuration becomes
// RedisSessions:Configuration). When the Redis came from REDIS_URL instead, it is added explicitly.
static IConfigurationRoot BuildConfiguration(string redis)
{
    var builder = new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: false)
        .AddEnvironmentVariables();
    if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("RedisSessions__Configuration")))
    {
        builder.AddInMemoryCollection(new Dictionary<string, string?> { ["RedisSessions:Configuration"] = redis });
    }
    return builder.Build();
}
