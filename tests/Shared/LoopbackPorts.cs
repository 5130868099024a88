using System.Net;
using System.Net.Sockets;

namespace RedisSessions.Testing;

/// <summary>Free loopback ports for what RedisServerProcess does not hand out itself (Sentinels, a TLS port, app
/// nodes, a load balancer, a webhook receiver, a port nobody listens on).</summary>
public static class LoopbackPorts
{
    /// <summary>A port the operating system says is free now.</summary>
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
