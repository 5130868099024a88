using System.Net;
using System.Net.Sockets;

namespace RedisSessions.Faults.Tests.Infrastructure;

/// <summary>
/// A loopback TCP port in front of a server that closes the first <c>drop</c> connections as soon as they are accepted
/// (the client sees its socket fail before any answer) and passes every later one through, byte for byte. It stands
/// for a network or a busy machine that loses a client's first attempts before the server gets to answer them.
/// </summary>
public sealed class DroppingForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private int _toDrop;
    private int _dropped;

    public DroppingForwarder(IPEndPoint upstream, int drop)
    {
        _upstream = upstream;
        _toDrop = drop;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>host:port to connect to.</summary>
    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections closed so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

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
            if (Interlocked.Decrement(ref _toDrop) >= 0)
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
                await using var fromClient = new NetworkStream(client, ownsSocket: false);
                await using var toServer = new NetworkStream(server, ownsSocket: false);
                var up = fromClient.CopyToAsync(toServer, _stop.Token);
                var down = toServer.CopyToAsync(fromClient, _stop.Token);
                await Task.WhenAny(up, down);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
            {
            }
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
