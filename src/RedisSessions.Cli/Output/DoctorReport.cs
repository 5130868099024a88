namespace RedisSessions.Cli.Output;

/// <summary>What <c>doctor</c> prints.</summary>
internal sealed class DoctorReport
{
    public required string Redis { get; init; }
    public required string Prefix { get; init; }
    public required bool Healthy { get; init; }
    public required int Problems { get; init; }
    public required int Skipped { get; init; }
    public required List<DoctorCheck> Checks { get; init; }
}
