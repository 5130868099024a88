using System.Diagnostics;

namespace RedisSessions.Tests.Infrastructure;

/// <summary>Starts tests/RedisSessions.TestNode as a separate OS process (a node of the farm).</summary>
public sealed class TestNodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private TestNodeProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The built tests/RedisSessions.TestNode (this test project builds it; not referenced as an assembly).</summary>
    public static string NodeDll => Programs.TestNode;

    public static TestNodeProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(NodeDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return new TestNodeProcess(Process.Start(start)!);
    }

    public async Task<string> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(timeout.Token);
        var output = await _stdout;
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"test node exited with {_process.ExitCode}: {await _stderr}");
        }
        return output;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
