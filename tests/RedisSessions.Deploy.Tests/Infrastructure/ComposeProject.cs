namespace RedisSessions.Deploy.Tests.Infrastructure;

/// <summary>deploy/compose.yaml under a project name of its own (its containers, network, volume and built images
/// carry that name), so it never touches another run's farm.</summary>
public sealed class ComposeProject(IReadOnlyDictionary<string, string> environment)
{
    public string Name { get; } = $"rsdeploy{Guid.NewGuid():N}"[..16];

    public Task<CommandResult> RunAsync(TimeSpan timeout, params string[] arguments) =>
        Command.RunAsync("docker-compose", ["-f", "deploy/compose.yaml", "-p", Name, .. arguments], environment, timeout);

    public Task<CommandResult> UpAsync() => RunAsync(TimeSpan.FromMinutes(5), "up", "-d", "--build");

    public async Task<string> LogsAsync()
    {
        var logs = await RunAsync(TimeSpan.FromMinutes(1), "logs", "--no-color", "--tail", "40");
        return logs.Output;
    }

    /// <summary>Everything one service has logged so far.</summary>
    public async Task<string> ServiceLogsAsync(string service)
    {
        var logs = await RunAsync(TimeSpan.FromMinutes(1), "logs", "--no-color", service);
        return logs.Output;
    }

    /// <summary>Stops and removes the containers, the network, the Redis volume and the images the project built.</summary>
    public Task<CommandResult> DownAsync() =>
        RunAsync(TimeSpan.FromMinutes(2), "down", "--volumes", "--rmi", "local", "--remove-orphans", "--timeout", "20");
}
