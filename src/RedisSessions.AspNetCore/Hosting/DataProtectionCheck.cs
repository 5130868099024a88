using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RedisSessions.AspNetCore.Hosting;

/// <summary>
/// Says at start-up when Data Protection looks private to this process or machine. Cookies, the protected tickets in
/// Redis, antiforgery tokens and the session cookie are all protected with it: a farm whose nodes have different keys
/// signs users out whenever the load balancer sends them to another node.
/// </summary>
internal sealed partial class DataProtectionCheck : IHostedService
{
    private readonly IOptions<KeyManagementOptions> _keys;
    private readonly IOptions<DataProtectionOptions> _protection;
    private readonly IHostEnvironment _environment;
    private readonly ILogger _logger;

    public DataProtectionCheck(IOptions<KeyManagementOptions> keys, IOptions<DataProtectionOptions> protection, IHostEnvironment environment, ILogger<DataProtectionCheck> logger)
    {
        _keys = keys;
        _protection = protection;
        _environment = environment;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var repository = _keys.Value.XmlRepository;
        switch (repository)
        {
            case null:
                Log.KeysNotShared(_logger);
                break;
            case FileSystemXmlRepository files:
                Log.KeysInDirectory(_logger, files.Directory.FullName);
                break;
            default:
                if (repository.GetType().Name.Contains("Ephemeral", StringComparison.Ordinal))
                {
                    Log.KeysNotShared(_logger);
                }
                break;
        }
        var discriminator = _protection.Value.ApplicationDiscriminator;
        if (string.IsNullOrEmpty(discriminator) || IsContentRoot(discriminator))
        {
            Log.NoApplicationName(_logger, discriminator ?? string.Empty);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private bool IsContentRoot(string discriminator) =>
        string.Equals(discriminator.TrimEnd('/', '\\'), _environment.ContentRootPath.TrimEnd('/', '\\'), StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(1060, LogLevel.Warning, "Data Protection keys are not shared: no key repository is configured, so keys are kept on this machine only (or in memory). Other nodes of the farm can't read the cookies this one writes, and its users are signed out when they reach another node. Persist keys where every node reads them, e.g. services.AddDataProtection().PersistKeysToStackExchangeRedis(...)", EventName = "DataProtectionKeysNotShared")]
        public static partial void KeysNotShared(ILogger logger);

        [LoggerMessage(1061, LogLevel.Information, "Data Protection keys are kept in the directory {Directory}: every node of the farm must read the same directory (a shared volume), or users are signed out when they reach another node", EventName = "DataProtectionKeysInDirectory")]
        public static partial void KeysInDirectory(ILogger logger, string directory);

        [LoggerMessage(1062, LogLevel.Warning, "Data Protection has no application name of its own (discriminator '{Discriminator}', the content root): nodes installed in different directories can't read each other's cookies. Call services.AddDataProtection().SetApplicationName(\"...\") with one fixed name", EventName = "DataProtectionNoApplicationName")]
        public static partial void NoApplicationName(ILogger logger, string discriminator);
    }
}
