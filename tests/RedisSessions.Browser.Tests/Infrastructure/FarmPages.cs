using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RedisSessions.Browser.Tests.Infrastructure;

/// <summary>The sample's page contract (examples/WebFarm/WebFarm.App/README.md), as a user meets it.</summary>
public static class FarmPages
{
    public const string Password = "demo";

    /// <summary>Opens the sign-in page and fills the form, without sending it.</summary>
    public static async Task FillSignInAsync(IPage page, string user)
    {
        await page.GotoAsync("/");
        await page.Locator("input[name=username]").FillAsync(user);
        await page.Locator("input[name=password]").FillAsync(Password);
    }

    /// <summary>Sends the filled sign-in form and waits for the signed-in home page.</summary>
    public static async Task SubmitSignInAsync(IPage page, string user)
    {
        await page.Locator("form[action='/login'] button[type=submit]").ClickAsync();
        await ExpectSignedInAsync(page, user);
    }

    public static async Task SignInAsync(IPage page, string user)
    {
        await FillSignInAsync(page, user);
        await SubmitSignInAsync(page, user);
    }

    public static Task ExpectSignedInAsync(IPage page, string user) =>
        Expect(page.Locator("body")).ToContainTextAsync($"Signed in as {user}");

    /// <summary>The sign-in form, saying why this browser was signed out.</summary>
    public static async Task ExpectSignedOutAsync(IPage page, string reason)
    {
        await Expect(page.Locator("[data-testid=signed-out-reason]")).ToHaveAttributeAsync("data-reason", reason);
        await Expect(page.Locator("input[name=username]")).ToBeVisibleAsync();
        await Expect(page.Locator("body")).Not.ToContainTextAsync("Signed in as");
    }

    /// <summary>The node that served the page.</summary>
    public static async Task<string> NodeAsync(IPage page) =>
        (await page.Locator("[data-testid=node]").TextContentAsync())?.Trim() ?? "";

    public static ILocator SessionRows(IPage page) => page.Locator("[data-testid=session-row]");

    public static ILocator CurrentSessionRow(IPage page) => page.Locator("[data-testid=session-row][data-current=true]");

    /// <summary>The ids of the rows on the devices page, and the one marked as this browser's.</summary>
    public static async Task<(IReadOnlyList<string> All, string Current)> SessionIdsAsync(IPage page)
    {
        var all = new List<string>();
        foreach (var row in await SessionRows(page).AllAsync())
        {
            all.Add(await row.GetAttributeAsync("data-session-id") ?? "");
        }
        var current = await CurrentSessionRow(page).GetAttributeAsync("data-session-id") ?? "";
        return (all, current);
    }
}
