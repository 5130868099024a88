using System.Diagnostics;
using RedisSessions.Browser.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace RedisSessions.Browser.Tests;

/// <summary>An idle browser is signed out after the farm's idle timeout (<see cref="BrowserFarm.InactiveTimeout"/>), and
/// the farm's worker handles that ending exactly once.</summary>
[Collection(BrowserFarmCollection.Name)]
[Trait("Category", "Browser")]
public sealed class IdleExpiryTests(BrowserFarm farm)
{
    [Fact]
    public async Task An_idle_browser_is_signed_out_after_the_idle_timeout_and_the_worker_logs_it_once()
    {
        await using var browser = await farm.NewBrowserAsync();
        var page = await browser.NewPageAsync();
        await FarmPages.SignInAsync(page, "dave");
        await page.GotoAsync("/account/sessions");
        await Expect(FarmPages.CurrentSessionRow(page)).ToHaveCountAsync(1);
        var idle = Stopwatch.StartNew(); // the last request of this browser has been answered
        var sessionId = (await FarmPages.SessionIdsAsync(page)).Current;
        Assert.False(string.IsNullOrEmpty(sessionId));

        // The worker logs one SessionEnded line (event 300) per ended session: "Session <id> of user <user> ended: <reason>, ...".
        var ended = $"Session {sessionId} of user dave ended: ";
        string[] Lines() => farm.Farm.WorkerLog.Split('\n').Where(l => l.Contains(ended, StringComparison.Ordinal)).ToArray();
        await Eventually.TrueAsync(() => Lines().Length > 0, $"worker.log has the end of session {sessionId}",
            BrowserFarm.InactiveTimeout + TimeSpan.FromMinutes(1), () => $"worker.log:\n{farm.Farm.WorkerLog}");
        Assert.True(idle.Elapsed >= BrowserFarm.InactiveTimeout - TimeSpan.FromMilliseconds(500),
            $"The session ended {idle.Elapsed.TotalSeconds:0.0} s after the browser's last request, before the idle timeout of {BrowserFarm.InactiveTimeout.TotalSeconds:0} s");

        await page.ReloadAsync();
        await FarmPages.ExpectSignedOutAsync(page, "expired");

        var lines = Lines();
        Assert.True(lines.Length == 1, $"Expected one SessionEnded line for {sessionId}, found {lines.Length}:\n{string.Join('\n', lines)}");
        Assert.Contains("TerminationLogHandler[300]", lines[0], StringComparison.Ordinal);
        Assert.Contains(ended + "expired,", lines[0], StringComparison.Ordinal);
    }
}
