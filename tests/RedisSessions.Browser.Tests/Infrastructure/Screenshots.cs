using Microsoft.Playwright;

namespace RedisSessions.Browser.Tests.Infrastructure;

/// <summary>Screenshots of the sample's pages, taken by the tests. They go to <c>screenshots/</c> beside the test
/// assembly; with <c>REDIS_SESSIONS_UPDATE_SCREENSHOTS=1</c> they replace the committed ones in docs/images/ (a normal
/// test run leaves the working tree as it was).</summary>
public static class Screenshots
{
    public const string UpdateVariable = "REDIS_SESSIONS_UPDATE_SCREENSHOTS";

    public static string Folder { get; } = Environment.GetEnvironmentVariable(UpdateVariable) == "1"
        ? Path.Combine(Repository.Root, "docs", "images")
        : Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task SaveAsync(IPage page, string fileName)
    {
        Directory.CreateDirectory(Folder);
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Folder, fileName),
            FullPage = true,
            Animations = ScreenshotAnimations.Disabled,
            Caret = ScreenshotCaret.Hide,
        });
    }
}
