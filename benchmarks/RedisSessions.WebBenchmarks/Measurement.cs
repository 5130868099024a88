namespace RedisSessions.WebBenchmarks;

/// <summary>One measured phase of one side in one round, with the CPU each process spent on it.</summary>
internal sealed record Measurement(
    WebSide Side,
    int Round,
    PhaseResult Load,
    TimeSpan AppCpu,
    TimeSpan DriverCpu,
    double RedisCpuSeconds,
    IReadOnlyDictionary<string, long> RedisCommands)
{
    private double PerRequest(double total) => Load.Requests == 0 ? double.NaN : total / Load.Requests;

    public double AppCpuMicroseconds => PerRequest(AppCpu.TotalMicroseconds);

    public double DriverCpuMicroseconds => PerRequest(DriverCpu.TotalMicroseconds);

    public double RedisCpuMicroseconds => PerRequest(RedisCpuSeconds * 1e6);

    public double RedisCommandsPerRequest => PerRequest(RedisCommands.Values.Sum());

    public string CommandsPerRequest => RedisCommands.Count == 0
        ? "none"
        : string.Join(", ", RedisCommands.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {PerRequest(c.Value):0.00}"));
}
