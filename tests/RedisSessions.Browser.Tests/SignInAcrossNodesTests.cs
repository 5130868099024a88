using RedisSessions.Browser.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace RedisSessions.Browser.Tests;

/// <summary>One sign-in, served by every node: the load balancer has no session affinity, and the cookie carries only a
/// session id that every node finds in Redis.</summary>
[Collection(BrowserFarmCollection.Name)]
[Trait("Category", "Browser")]
public sealed class SignInAcrossNodesTests(BrowserFarm farm)
{
    [Fact]
    public async Task A_signed_in_browser_stays_signed_in_while_reloads_reach_all_three_nodes()
    {
        await using var browser = await farm.NewBrowserAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(page.Locator("input[name=username]")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "webfarm-signed-out.png");

        await FarmPages.SignInAsync(page, "alice");
        await Screenshots.SaveAsync(page, "webfarm-signed-in.png");

        // Round robin: three reloads in a row normally see the three nodes; the browser's own requests (the favicon)
        // take turns too, so allow a few more.
        var seen = new List<string> { await FarmPages.NodeAsync(page) };
        for (var reload = 0; reload < 15 && seen.Distinct().Count() < 3; reload++)
        {
            await page.ReloadAsync();
            await FarmPages.ExpectSignedInAsync(page, "alice");
            seen.Add(await FarmPages.NodeAsync(page));
        }
        Assert.True(seen.Distinct().Order(StringComparer.Ordinal).SequenceEqual(["web-1", "web-2", "web-3"]),
            $"Nodes seen over {seen.Count} pages: {string.Join(", ", seen)}");
    }
}
