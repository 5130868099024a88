using RedisSessions.Browser.Tests.Infrastructure;
using Xunit;

namespace RedisSessions.Browser.Tests;

/// <summary>The per-user limit (<see cref="BrowserFarm.MaxSessionsPerUser"/>, the sample's policy EvictOldest): a sign-in
/// past it signs the least recently active browser out.</summary>
[Collection(BrowserFarmCollection.Name)]
[Trait("Category", "Browser")]
public sealed class SessionLimitTests(BrowserFarm farm)
{
    [Fact]
    public async Task A_sign_in_past_the_limit_signs_the_oldest_browser_out_with_reason_evicted()
    {
        Assert.Equal(2, BrowserFarm.MaxSessionsPerUser);
        await using var first = await farm.NewBrowserAsync();
        await using var second = await farm.NewBrowserAsync();
        await using var third = await farm.NewBrowserAsync();
        var one = await first.NewPageAsync();
        var two = await second.NewPageAsync();
        var three = await third.NewPageAsync();
        // Forms ready first, so the three sign-ins follow each other well within the idle timeout.
        await FarmPages.FillSignInAsync(two, "erin");
        await FarmPages.FillSignInAsync(three, "erin");
        await FarmPages.SignInAsync(one, "erin");
        await FarmPages.SubmitSignInAsync(two, "erin");

        await FarmPages.SubmitSignInAsync(three, "erin");

        await two.ReloadAsync();
        await FarmPages.ExpectSignedInAsync(two, "erin");
        await one.ReloadAsync();
        await FarmPages.ExpectSignedOutAsync(one, "evicted");
    }
}
