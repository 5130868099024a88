using System.Diagnostics;
using System.Globalization;
using RedisSessions.Faults.Tests.Infrastructure;
using RedisSessions.LocalRedis;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace RedisSessions.Faults.Tests;

/// <summary>
/// Redis over TLS with a private certificate authority made with openssl by the test (a CA, a server certificate for
/// 127.0.0.1 and localhost): every public operation over TLS, on connections the library opens
/// (<see cref="SessionOptions.TrustedCertificateAuthorityPath"/>) and on the caller's own multiplexer
/// (<c>ConfigurationOptions.TrustIssuer</c>), the listener included; and a client that does not trust the CA is told
/// which certificate problem it met, in bounded time.
/// <para>
/// The server is a redis-server process of the test's own, not a container: it is given the certificate and key
/// files the test has just made, and its TLS port must be the loopback address the server certificate names.
/// </para>
/// </summary>
public sealed class TlsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Prefix = "tls";
    private PrivateCertificateAuthority? _ca;
    private RedisServerProcess? _server;
    private int _tlsPort;

    private PrivateCertificateAuthority Ca => _ca!;

    private RedisServerProcess Server => _server!;

    private string TlsConfiguration => $"127.0.0.1:{_tlsPort},ssl=true,abortConnect=false,connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    public async Task InitializeAsync()
    {
        _ca = await PrivateCertificateAuthority.CreateAsync();
        _tlsPort = LoopbackPorts.Free();
        // The plain port stays for the test's own checks (readiness, CLIENT LIST); the application uses the TLS one.
        _server = await RedisServerProcess.StartAsync("--tls-port", _tlsPort.ToString(CultureInfo.InvariantCulture),
            "--tls-cert-file", Ca.ServerCertificatePath, "--tls-key-file", Ca.ServerKeyPath, "--tls-ca-cert-file", Ca.CertificatePath, "--tls-auth-clients", "no");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _ca?.Dispose();
    }

    [Fact]
    public async Task Every_operation_runs_over_tls_on_connections_the_library_opens_with_a_private_ca()
    {
        var figures = new Figures(output, nameof(Every_operation_runs_over_tls_on_connections_the_library_opens_with_a_private_ca));
        var log = new TerminationLog(new Timeline());
        var logs = new LogCapture(output, "app");
        await using (var app = await SessionManager.ConnectAsync(TlsConfiguration, Options(Ca.CertificatePath), logs))
        {
            app.RegisterTerminationCallback(log.Handler("app"));
            await ContractSlice.RunAsync(app, log);
            await Eventually.TrueAsync(() => logs.WithId(110).Count > 0, "the listener listens over TLS");
            Assert.Empty(logs.WithId(115));
            await AssertOverTlsAsync("redis-sessions");
        }
        figures.Add("terminations", log.Total);
        figures.Publish();
    }

    [Fact]
    public async Task Every_operation_runs_over_tls_on_the_callers_multiplexer_trusting_the_issuer()
    {
        var figures = new Figures(output, nameof(Every_operation_runs_over_tls_on_the_callers_multiplexer_trusting_the_issuer));
        var options = ConfigurationOptions.Parse(TlsConfiguration);
        options.TrustIssuer(Ca.CertificatePath);
        options.ClientName = "callers-own";
        using var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        var log = new TerminationLog(new Timeline());
        var logs = new LogCapture(output, "app");
        await using (var app = new SessionManager(multiplexer, Options(null), logs))
        {
            app.RegisterTerminationCallback(log.Handler("app"));
            await ContractSlice.RunAsync(app, log);
            await Eventually.TrueAsync(() => logs.WithId(110).Count > 0, "the listener listens over TLS");
            Assert.Empty(logs.WithId(115));
            await AssertOverTlsAsync("callers-own");
        }
        figures.Add("terminations", log.Total);
        figures.Publish();
    }

    [Fact]
    public async Task A_certificate_from_an_untrusted_authority_is_named_in_bounded_time()
    {
        var figures = new Figures(output, nameof(A_certificate_from_an_untrusted_authority_is_named_in_bounded_time));
        var clock = Stopwatch.StartNew();
        await using var app = await SessionManager.ConnectAsync(TlsConfiguration, Options(null, autoCleanup: false));
        // Every call fails, each within its timeout; the error names the certificate problem once a handshake has
        // failed on it (on 2 busy cores the first call may meet a connection attempt that timed out before its
        // handshake, and is told only that no connection came).
        var (error, attempts) = await Calls.UntilNamedAsync(() => app.CreateSessionAsync("ada"), "TLS handshake failed", clock, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(5));
        output.WriteLine(error.Message);
        figures.Add("answer_s", clock.Elapsed);
        figures.Add("calls_until_named", attempts);
        figures.Add("message", error.Message[..Math.Min(error.Message.Length, 230)] + "…");
        var named = error.Message.Contains("TLS handshake failed", StringComparison.Ordinal);
        figures.Add("named", named);
        figures.Publish();
        Assert.True(named, $"the refusal was not named: {error.Message}");
        Assert.StartsWith("Redis refused the connection (create was not applied, or applied whole): the TLS handshake failed: The remote certificate is invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains("UntrustedRoot", error.Message);
        Assert.Contains("TrustedCertificateAuthorityPath", error.Message);
    }

    /// <summary>Every connection named <paramref name="clientName"/> came in on the TLS port.</summary>
    private async Task AssertOverTlsAsync(string clientName)
    {
        var clients = (await RedisTools.RunCliAsync("-p", Server.Port.ToString(CultureInfo.InvariantCulture), "client", "list"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains($" name={clientName} ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(clients);
        Assert.All(clients, c => Assert.Contains($" laddr=127.0.0.1:{_tlsPort} ", c));
    }

    private static SessionOptions Options(string? trustedAuthority, bool autoCleanup = true) => new()
    {
        KeyPrefix = Prefix,
        NodeName = "app",
        InactiveTimeout = TimeSpan.FromSeconds(10),
        MaxSessionsPerUser = 2,
        EnableAutoCleanup = autoCleanup,
        TrustedCertificateAuthorityPath = trustedAuthority,
    };
}
