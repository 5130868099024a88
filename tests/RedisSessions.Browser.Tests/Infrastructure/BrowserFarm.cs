using System.Globalization;
using Microsoft.Playwright;
using Xunit;

namespace RedisSessions.Browser.Tests.Infrastructure;

/// <summary>The tests that share one farm and one chromium run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserFarmCollection : ICollectionFixture<BrowserFarm>
{
    public const string Name = "Farm in a browser";
}

/// <summary>
/// One farm (deploy/farm/run: idle timeout <see cref="InactiveTimeout"/>, <see cref="MaxSessionsPerUser"/> sessions per
/// user, evicting the oldest) and one headless chromium for the collection. Every test opens browsers of its own
/// (<see cref="NewBrowserAsync"/>: a browser context, with its own cookies) and signs in as a user of its own. Chromium is
/// Debian's (/usr/bin/chromium, installed by .ci/install-chromium): without it the tests fail, they never skip. At the
/// end the farm is stopped with SIGTERM and must stop cleanly.
/// </summary>
public sealed class BrowserFarm : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public const int MaxSessionsPerUser = 2;

    public static readonly TimeSpan InactiveTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What one navigation or one expectation may take on a busy machine.</summary>
    private const float StepTimeoutMs = 60_000;

    private static readonly string[] ChromiumArguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly string _temp = Directory.CreateTempSubdirectory("redis-sessions-browser-").FullName;
    private FarmScript? _farm;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public FarmScript Farm => _farm ?? throw new InvalidOperationException("The farm has not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: the browser tests drive Debian's chromium. Install it with `bash .ci/install-chromium` (.ci/test does).");
        }
        Assertions.SetDefaultExpectTimeout(StepTimeoutMs);

        _farm = await FarmScript.StartAsync(Path.Combine(_temp, "farm"), new Dictionary<string, string>
        {
            ["FARM_PORT"] = FarmScript.FreePort().ToString(CultureInfo.InvariantCulture),
            ["FARM_INACTIVE_TIMEOUT"] = $"{InactiveTimeout.TotalSeconds:0}s",
            ["FARM_MAX_SESSIONS"] = MaxSessionsPerUser.ToString(CultureInfo.InvariantCulture),
            // This project's build built the app, the worker and the load balancer (ProjectReference) in its configuration.
            ["FARM_NO_BUILD"] = "1",
            ["FARM_CONFIGURATION"] = Repository.Configuration,
        }, TimeSpan.FromMinutes(4));

        _playwright = await Playwright.CreateAsync();
        // Playwright starts every launch with a fresh, temporary user data dir (removed when the browser closes), and
        // every context has its own cookies: two contexts are two browsers to the farm.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArguments,
            Timeout = StepTimeoutMs,
        });
    }

    /// <summary>A new browser (context) on the farm's load balancer: relative URLs go to the farm.</summary>
    public async Task<IBrowserContext> NewBrowserAsync()
    {
        var browser = _browser ?? throw new InvalidOperationException("Chromium has not started.");
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Farm.Url.ToString(),
            ViewportSize = new ViewportSize { Width = 1100, Height = 640 },
            Locale = "en-US",
        });
        context.SetDefaultTimeout(StepTimeoutMs);
        context.SetDefaultNavigationTimeout(StepTimeoutMs);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_farm is null)
        {
            return;
        }
        var exitCode = await _farm.StopAsync(TimeSpan.FromMinutes(2));
        var output = _farm.Output;
        if (exitCode != 0 || !output.Contains("farm: stopped", StringComparison.Ordinal) || output.Contains("killing", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The farm did not stop cleanly on SIGTERM (exit code {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "none: killed after 2 minutes"}); " +
                $"its logs are kept in {_farm.RunFolder}. Its output:\n{output}");
        }
        Directory.Delete(_temp, recursive: true);
    }
}
