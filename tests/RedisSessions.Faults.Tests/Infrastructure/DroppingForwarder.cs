using System.Net;
using System.Net.Sockets;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// A loopback TCP port in front of a server that resets every connection as soon as it is accepted (the client sees its
/// socket fail before any answer) until <see cref="PassThrough"/>, then passes every new one through, byte for byte. It
/// stands for a network or a busy machine that loses a client's first attempts before the server gets to answer them.
/// </summary>
public sealed class DroppingForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private volatile bool _passThrough;
    private int _dropped;

    public DroppingForwarder(IPEndPoint upstream)
    {
        _upstream = upstream;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>host:port to connect to.</summary>
    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections reset so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>From now on, connections reach the server.</summary>
    public void PassThrough() => _passThrough = true;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (!_passThrough)
            {
                client.LingerState = new LingerOption(true, 0); // a reset, as a lost connection looks
                client.Close();
                Interlocked.Increment(ref _dropped);
                continue;
            }
            lock (_pumps)
            {
                _pumps.Add(PassThroughAsync(client));
            }
        }
    }

    private async Task PassThroughAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using (client)
        {
            try
            {
                await server.ConnectAsync(_upstream, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            await using var fromClient = new NetworkStream(client, ownsSocket: false);
            await using var toServer = new NetworkStream(server, ownsSocket: false);
            var up = CopyAsync(fromClient, toServer);
            var down = CopyAsync(toServer, fromClient);
            await Task.WhenAny(up, down);
            // One side has closed: close both, so the other copy ends too.
            client.Close();
            server.Close();
            await Task.WhenAll(up, down);
        }
    }

    private async Task CopyAsync(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps];
        }
        await Task.WhenAll(pumps);
        _stop.Dispose();
    }
}
