using System.Collections.Concurrent;

namespace RedisSessions.AspNetCore.Tests.Infrastructure;

/// <summary>Holds requests of an app under test at a named point until the test lets them go, so a test can line up
/// concurrent requests without sleeping.</summary>
public sealed class Gates
{
    private readonly ConcurrentDictionary<string, Gate> _gates = new();

    public Gate this[string name] => _gates.GetOrAdd(name, _ => new Gate());

    public sealed class Gate
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a request reached the gate.</summary>
        public Task Reached => _reached.Task;

        /// <summary>Called by the request: says it is there and waits until the test opens the gate.</summary>
        public async Task PassAsync()
        {
            _reached.TrySetResult();
            await _open.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public void Open() => _open.TrySetResult();
    }
}
