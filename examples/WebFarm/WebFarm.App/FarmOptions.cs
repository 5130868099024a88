namespace WebFarm.App;

/// <summary>The node's own settings: the <c>Farm</c> section (<c>Farm__NodeName</c>).</summary>
public sealed class FarmOptions
{
    public const string SectionName = "Farm";

    /// <summary>The name this node shows on every page and records in the sessions it creates. Defaults to
    /// <c>{machine name}/{process id}</c>.</summary>
    public string NodeName { get; set; } = string.Empty;

    /// <summary>The Redis key holding the farm's Data Protection keys (every node reads the same one).</summary>
    public const string DataProtectionKey = "WebFarm:DataProtection-Keys";

    /// <summary>The Data Protection application name every node shares, wherever it is installed.</summary>
    public const string ApplicationName = "RedisSessions.WebFarm";

    public static string DefaultNodeName => $"{Environment.MachineName}/{Environment.ProcessId}";
}
