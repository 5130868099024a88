using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace RedisSessions.Cli.Output;

/// <summary>Writes the JSON the commands print: System.Text.Json with generated metadata, snake_case names (like the
/// <c>Session.ToDictionary()</c>), ISO-8601 times, and no HTML escaping (it is read by scripts, not browsers).</summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Indented = new(CliJsonContext.Default.Options)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Compact = new(CliJsonContext.Default.Options)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One indented JSON document.</summary>
    public static void Write<T>(TextWriter output, T value, JsonTypeInfo<T> typeInfo) =>
        output.WriteLine(JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Indented.GetTypeInfo(typeInfo.Type)));

    /// <summary>One compact JSON object for a JSON Lines stream.</summary>
    public static string Line<T>(T value, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Compact.GetTypeInfo(typeInfo.Type));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DictionaryKeyPolicy = JsonKnownNamingPolicy.Unspecified)]
[JsonSerializable(typeof(StatsReport))]
[JsonSerializable(typeof(SessionList))]
[JsonSerializable(typeof(SessionDetails))]
[JsonSerializable(typeof(TerminateReport))]
[JsonSerializable(typeof(CleanupReport))]
[JsonSerializable(typeof(EventRow))]
[JsonSerializable(typeof(DoctorReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
