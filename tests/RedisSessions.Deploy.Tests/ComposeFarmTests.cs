using System.Net;
using System.Text.Json;
using RedisSessions.Deploy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace RedisSessions.Deploy.Tests;

/// <summary>deploy/compose.yaml on this machine's Docker engine: the farm's images built on local base images (no image
/// registry here: .ci/docker-images makes a .NET runtime image from this machine's installation and a Redis image from
/// Debian's binaries), the programs published on the host (deploy/docker/publish, Dockerfile.prebuilt), then a sign-in
/// through the load balancer and requests that reach every app node with the same session, and the worker's one log
/// line for the sign-out. The farm is always taken down again. Without Docker the test fails: it never skips.</summary>
[Trait("Category", "Compose")]
public sealed class ComposeFarmTests(ITestOutputHelper output)
{
    private const int Nodes = 3;
    private const string Password = "demo";

    [Fact]
    public async Task Farm_in_containers_serves_one_session_from_every_node_through_the_load_balancer()
    {
        var images = await Command.RunAsync("bash", [".ci/docker-images"], new Dictionary<string, string>(), TimeSpan.FromMinutes(4));
        Assert.True(images.Succeeded, $"The compose farm needs a Docker engine, docker-compose and the local base images (.ci/docker-images):\n{images.Describe()}");
        var environment = Exports(images.Output);
        Assert.True(environment.ContainsKey("REDIS_SESSIONS_DOTNET_RUNTIME_IMAGE") && environment.ContainsKey("REDIS_SESSIONS_REDIS_IMAGE"),
            $".ci/docker-images named no images:\n{images.Describe()}");

        var publish = await Command.RunAsync("bash", ["deploy/docker/publish"], environment, TimeSpan.FromMinutes(5));
        Assert.True(publish.Succeeded, publish.Describe());

        var port = FreePort();
        environment["FARM_DOCKERFILE"] = "deploy/docker/Dockerfile.prebuilt";
        environment["DOTNET_RUNTIME_IMAGE"] = environment["REDIS_SESSIONS_DOTNET_RUNTIME_IMAGE"];
        environment["REDIS_IMAGE"] = environment["REDIS_SESSIONS_REDIS_IMAGE"];
        environment["FARM_BIND"] = "127.0.0.1";
        environment["FARM_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // docker-compose's own builder (the engine's classic one): what Debian's engine and docker-compose 1.29 have.
        environment["COMPOSE_DOCKER_CLI_BUILD"] = "0";
        environment["DOCKER_BUILDKIT"] = "0";
        var compose = new ComposeProject(environment);
        output.WriteLine($"compose project {compose.Name}, load balancer on 127.0.0.1:{port}");
        var failed = true;
        try
        {
            var up = await compose.UpAsync();
            Assert.True(up.Succeeded, up.Describe());
            var user = await SignInAndVisitEveryNodeAsync(new Uri($"http://127.0.0.1:{port}"));
            await WorkerHandlesTheSignOutAsync(compose, user);
            failed = false;
        }
        catch (Exception e)
        {
            var logs = await compose.LogsAsync();
            throw new XunitException($"{e.Message}\n\nLast lines of the containers' logs:\n{logs}", e);
        }
        finally
        {
            // Always, even after a failure; a failing `down` fails the test only when nothing failed before it.
            var down = await compose.DownAsync();
            output.WriteLine(down.Describe(10));
            if (!failed)
            {
                Assert.True(down.Succeeded, down.Describe());
            }
        }
    }

    /// <summary>The worker container runs and handles the farm's terminations: the sign-out is logged there once.</summary>
    private static async Task WorkerHandlesTheSignOutAsync(ComposeProject compose, string user)
    {
        var ended = $"of user {user} ended: terminated";
        var logs = "";
        await Eventually.TrueAsync(async () =>
        {
            logs = await compose.ServiceLogsAsync("worker");
            return logs.Contains(ended, StringComparison.Ordinal);
        }, $"the worker logs the end of {user}'s session", TimeSpan.FromMinutes(1), () => $"Worker's logs:\n{logs}");
        Assert.Equal(1, logs.Split('\n').Count(l => l.Contains(ended, StringComparison.Ordinal)));
        Assert.DoesNotContain("Unhandled exception", logs, StringComparison.Ordinal);
    }

    private async Task<string> SignInAndVisitEveryNodeAsync(Uri farm)
    {
        using var browser = new FarmBrowser(farm);

        // The load balancer's own health answer: every node passed its /healthz check.
        var status = "";
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                var page = await browser.GetAsync("/_lb/healthz");
                status = page.Document.Body?.TextContent ?? "";
                using var json = JsonDocument.Parse(status);
                return json.RootElement.GetProperty("healthy").GetInt32() == Nodes;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                status = e.Message;
                return false;
            }
        }, $"the load balancer counts {Nodes} healthy nodes", TimeSpan.FromMinutes(2), () => $"Last answer: {status}");

        var user = $"deploy-{Guid.NewGuid():N}"[..15];
        var signedIn = await browser.SignInAsync(user, Password);
        Assert.True(signedIn.Status == HttpStatusCode.OK, $"Sign-in ended on {signedIn}");
        Assert.Contains($"Signed in as {user}", signedIn.Text, StringComparison.Ordinal);

        // Round robin without affinity: consecutive requests go to different nodes, and each one knows the session.
        var seen = new List<string>();
        for (var i = 0; i < 3 * Nodes; i++)
        {
            var page = await browser.GetAsync("/");
            Assert.True(page.Status == HttpStatusCode.OK, $"Request {i + 1}: {page}");
            Assert.True(page.Text.Contains($"Signed in as {user}", StringComparison.Ordinal), $"Request {i + 1} lost the session: {page}");
            Assert.False(string.IsNullOrEmpty(page.Node), $"Request {i + 1}: no [data-testid=node] on {page}");
            seen.Add(page.Node!);
        }
        output.WriteLine($"nodes in order: {string.Join(", ", seen)}");
        Assert.Equal(["web-1", "web-2", "web-3"], seen.Distinct().Order(StringComparer.Ordinal));
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] != seen[i - 1], $"Two requests in a row went to {seen[i]}: {string.Join(", ", seen)}");
        }

        var sessions = await browser.GetAsync("/account/sessions");
        Assert.True(sessions.Status == HttpStatusCode.OK, $"/account/sessions: {sessions}");
        Assert.Contains(user, sessions.Text, StringComparison.Ordinal);

        // Signing out on one node ends the session on every node.
        var signedOut = await browser.SignOutAsync();
        Assert.True(signedOut.Status == HttpStatusCode.OK, $"/logout ended on {signedOut}");
        for (var i = 0; i < Nodes; i++)
        {
            var page = await browser.GetAsync("/");
            Assert.True(page.HasSignInForm && !page.Text.Contains($"Signed in as {user}", StringComparison.Ordinal),
                $"After signing out, {page.Node} still shows the session: {page}");
        }
        return user;
    }

    /// <summary>The variables `.ci/docker-images` prints as <c>export NAME=value</c> lines (bash %q quoting).</summary>
    private static Dictionary<string, string> Exports(string output)
    {
        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith("export ", StringComparison.Ordinal) || !line.Contains('=', StringComparison.Ordinal))
            {
                continue;
            }
            var assignment = line["export ".Length..];
            var name = assignment[..assignment.IndexOf('=', StringComparison.Ordinal)];
            var quoted = assignment[(name.Length + 1)..];
            var value = new System.Text.StringBuilder();
            for (var i = 0; i < quoted.Length; i++)
            {
                if (quoted[i] == '\\' && i + 1 < quoted.Length)
                {
                    i++;
                }
                value.Append(quoted[i]);
            }
            exports[name] = value.ToString();
        }
        return exports;
    }

    private static int FreePort() => LoopbackPorts.Free();
}
