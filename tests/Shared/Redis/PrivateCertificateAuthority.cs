using System.Diagnostics;

namespace RedisSessions.Testing;

/// <summary>A private certificate authority made with <c>openssl</c> in a temporary directory: its certificate, and a
/// server certificate it signed for 127.0.0.1 and localhost (what a company's internal CA gives a Redis server).</summary>
public sealed class PrivateCertificateAuthority : IDisposable
{
    private PrivateCertificateAuthority(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>The CA's certificate (PEM): what a client must trust.</summary>
    public string CertificatePath => Path.Combine(Directory, "ca.crt");

    /// <summary>The server's certificate (PEM), signed by the CA, for IP 127.0.0.1 and DNS localhost.</summary>
    public string ServerCertificatePath => Path.Combine(Directory, "server.crt");

    public string ServerKeyPath => Path.Combine(Directory, "server.key");

    public static async Task<PrivateCertificateAuthority> CreateAsync()
    {
        var ca = new PrivateCertificateAuthority(Path.Combine(Path.GetTempPath(), "redis-sessions-ca-" + Guid.NewGuid().ToString("N")[..8]));
        System.IO.Directory.CreateDirectory(ca.Directory);
        await File.WriteAllTextAsync(Path.Combine(ca.Directory, "server.ext"), string.Join('\n',
            "basicConstraints = CA:FALSE",
            "keyUsage = digitalSignature, keyEncipherment",
            "extendedKeyUsage = serverAuth",
            "subjectAltName = IP:127.0.0.1, DNS:localhost",
            string.Empty));
        await ca.OpenSslAsync("req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "2", "-subj", "/CN=RedisSessions test CA");
        await ca.OpenSslAsync("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=localhost");
        await ca.OpenSslAsync("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2",
            "-extfile", "server.ext");
        return ca;
    }

    private async Task OpenSslAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start openssl.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {arguments[0]} failed ({process.ExitCode}): {await output} {await errors}");
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
