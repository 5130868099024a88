using RedisSessions.Browser.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace RedisSessions.Browser.Tests;

/// <summary>"Your devices" (/account/sessions) with two browsers signed in as one user. Sessions sign out after
/// <see cref="BrowserFarm.InactiveTimeout"/> idle, so the steps keep every browser that must stay signed in active:
/// forms are filled before the sign-ins, and a browser reloads right before another one acts on it.</summary>
[Collection(BrowserFarmCollection.Name)]
[Trait("Category", "Browser")]
public sealed class DevicesTests(BrowserFarm farm)
{
    [Fact]
    public async Task A_second_browser_of_the_same_user_sees_both_sessions_with_its_own_marked()
    {
        await using var first = await farm.NewBrowserAsync();
        await using var second = await farm.NewBrowserAsync();
        var one = await first.NewPageAsync();
        var two = await second.NewPageAsync();
        await FarmPages.FillSignInAsync(two, "bob");
        await FarmPages.SignInAsync(one, "bob");
        await FarmPages.SubmitSignInAsync(two, "bob");
        await one.ReloadAsync();
        await FarmPages.ExpectSignedInAsync(one, "bob");

        await two.GotoAsync("/account/sessions");
        await one.GotoAsync("/account/sessions");

        await Expect(FarmPages.SessionRows(two)).ToHaveCountAsync(2);
        await Expect(FarmPages.CurrentSessionRow(two)).ToHaveCountAsync(1);
        await Expect(FarmPages.SessionRows(one)).ToHaveCountAsync(2);
        await Expect(FarmPages.CurrentSessionRow(one)).ToHaveCountAsync(1);
        var seenByTwo = await FarmPages.SessionIdsAsync(two);
        var seenByOne = await FarmPages.SessionIdsAsync(one);
        Assert.Equal(seenByOne.All, seenByTwo.All);
        Assert.Contains(seenByTwo.Current, seenByTwo.All);
        Assert.Contains(seenByOne.Current, seenByOne.All);
        Assert.NotEqual(seenByOne.Current, seenByTwo.Current);
        await Screenshots.SaveAsync(two, "webfarm-devices.png");
    }

    [Fact]
    public async Task Signing_out_the_other_sessions_signs_the_first_browser_out_on_its_next_request_and_tells_it_why()
    {
        await using var first = await farm.NewBrowserAsync();
        await using var second = await farm.NewBrowserAsync();
        var one = await first.NewPageAsync();
        var two = await second.NewPageAsync();
        await FarmPages.FillSignInAsync(two, "carol");
        await FarmPages.SignInAsync(one, "carol");
        await FarmPages.SubmitSignInAsync(two, "carol");
        await two.GotoAsync("/account/sessions");
        await Expect(FarmPages.SessionRows(two)).ToHaveCountAsync(2);
        await one.ReloadAsync();
        await FarmPages.ExpectSignedInAsync(one, "carol");

        await two.Locator("[data-testid=sign-out-others]").ClickAsync();

        await Expect(two.Locator("[data-testid=signed-out-others]")).ToBeVisibleAsync();
        await Expect(FarmPages.SessionRows(two)).ToHaveCountAsync(1);
        await Expect(FarmPages.CurrentSessionRow(two)).ToHaveCountAsync(1);
        await one.ReloadAsync();
        await FarmPages.ExpectSignedOutAsync(one, "terminated");
        await Screenshots.SaveAsync(one, "webfarm-signed-out-reason.png");
        await two.GotoAsync("/");
        await FarmPages.ExpectSignedInAsync(two, "carol");
    }
}
