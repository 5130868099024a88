using RedisSessions.Deploy.Tests.Infrastructure;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace RedisSessions.Deploy.Tests;

/// <summary>deploy/k8s read as YAML and checked for what the farm needs. No cluster runs here: these tests check the
/// manifests' content, not that a cluster accepts them (deploy/README.md says how to apply them).</summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Folder = Repository.PathOf("deploy", "k8s");

    private static List<(string File, YamlMappingNode Document)> Manifests() =>
        Directory.GetFiles(Folder, "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Yaml.Load(f).Select(d => (Path.GetFileName(f), d)))
            .ToList();

    private static YamlMappingNode Single(string kind, string name) =>
        Assert.Single(Manifests(), m => m.Document.Text("kind") == kind && m.Document.Text("metadata", "name") == name).Document;

    [Fact]
    public void Every_manifest_parses_names_its_kind_and_is_listed_in_the_kustomization()
    {
        var manifests = Manifests();
        Assert.NotEmpty(manifests);
        foreach (var (file, document) in manifests)
        {
            Assert.False(string.IsNullOrEmpty(document.Text("apiVersion")), $"{file}: a document without apiVersion");
            Assert.False(string.IsNullOrEmpty(document.Text("kind")), $"{file}: a document without kind");
            Assert.False(string.IsNullOrEmpty(document.Text("metadata", "name")), $"{file}: a {document.Text("kind")} without metadata.name");
        }
        var kustomization = Assert.Single(Yaml.Load(Path.Combine(Folder, "kustomization.yaml")));
        var listed = kustomization.Items("resources").Select(r => ((YamlScalarNode)r).Value).Order(StringComparer.Ordinal);
        Assert.Equal(manifests.Select(m => m.File).Distinct().Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public void App_runs_three_replicas_probed_on_healthz_with_requests_and_a_grace_period()
    {
        var app = Single("Deployment", "webfarm-app");
        Assert.Equal("3", app.Text("spec", "replicas"));
        var pod = app.At("spec", "template", "spec")!;
        Assert.True(int.Parse(pod.Text("terminationGracePeriodSeconds")!) >= 30, "SIGTERM needs time: terminationGracePeriodSeconds >= 30");
        var container = Assert.Single(pod.Items("containers"));
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            Assert.Equal("/healthz", container.Text(probe, "httpGet", "path"));
            var port = container.Text(probe, "httpGet", "port");
            Assert.Contains(container.Items("ports"), p => p.Text("name") == port || p.Text("containerPort") == port);
        }
        Assert.NotNull(container.Text("resources", "requests", "cpu"));
        Assert.NotNull(container.Text("resources", "requests", "memory"));
        // Each pod's name is its node name.
        Assert.Contains(container.Items("env"), e => e.Text("name") == "Farm__NodeName" && e.Text("valueFrom", "fieldRef", "fieldPath") == "metadata.name");
    }

    [Fact]
    public void App_and_worker_read_the_same_session_settings()
    {
        var settings = Single("ConfigMap", "webfarm-settings");
        foreach (var key in new[] { "RedisSessions__Configuration", "RedisSessions__InactiveTimeout", "RedisSessions__MaxSessionsPerUser" })
        {
            Assert.False(string.IsNullOrEmpty(settings.Text("data", key)), $"webfarm-settings has no {key}");
        }
        foreach (var name in new[] { "webfarm-app", "webfarm-worker" })
        {
            var deployment = Single("Deployment", name);
            var container = Assert.Single(deployment.Items("spec", "template", "spec", "containers"));
            Assert.Contains(container.Items("envFrom"), e => e.Text("configMapRef", "name") == "webfarm-settings");
            Assert.NotNull(container.Text("resources", "requests", "memory"));
            Assert.True(int.Parse(deployment.Text("spec", "template", "spec", "terminationGracePeriodSeconds")!) >= 30, $"{name}: terminationGracePeriodSeconds >= 30");
        }
    }

    [Fact]
    public void Nothing_pins_a_client_to_one_pod()
    {
        var ingress = Single("Ingress", "webfarm");
        var annotations = ingress.Entries("metadata", "annotations").Select(a => a.Key).ToList();
        Assert.DoesNotContain(annotations, a => a.Contains("affinity", StringComparison.OrdinalIgnoreCase)
            || a.Contains("sticky", StringComparison.OrdinalIgnoreCase) || a.Contains("session-cookie", StringComparison.OrdinalIgnoreCase));
        var backends = ingress.Items("spec", "rules").SelectMany(r => r.Items("http", "paths")).Select(p => p.Text("backend", "service", "name")).ToList();
        Assert.Equal(["webfarm-app"], backends.Distinct());
        foreach (var (_, service) in Manifests().Where(m => m.Document.Text("kind") == "Service"))
        {
            Assert.NotEqual("ClientIP", service.Text("spec", "sessionAffinity"));
        }
    }

    [Fact]
    public void Every_service_selects_pods_that_a_manifest_makes()
    {
        var podLabels = Manifests()
            .Where(m => m.Document.Text("kind") is "Deployment" or "StatefulSet")
            .Select(m => m.Document.Entries("spec", "template", "metadata", "labels").ToDictionary(l => l.Key, l => ((YamlScalarNode)l.Value).Value))
            .ToList();
        foreach (var (file, service) in Manifests().Where(m => m.Document.Text("kind") == "Service"))
        {
            var selector = service.Entries("spec", "selector").ToList();
            Assert.NotEmpty(selector);
            Assert.True(podLabels.Any(labels => selector.All(s => labels.TryGetValue(s.Key, out var v) && v == ((YamlScalarNode)s.Value).Value)),
                $"{file}: Service {service.Text("metadata", "name")} selects no pod of these manifests");
        }
    }

    [Fact]
    public void Redis_gets_every_setting_of_deploy_redis_conf()
    {
        var configMap = Single("ConfigMap", "redis-config");
        var inCluster = Directives(configMap.Text("data", "redis.conf")!);
        var deployed = Directives(File.ReadAllText(Repository.PathOf("deploy", "redis.conf")));
        // The pod network needs these two; everything else is the same as on every other Redis of the project.
        string[] changedOnPurpose = ["bind", "protected-mode"];
        foreach (var (name, value) in deployed.Where(d => !changedOnPurpose.Contains(d.Key)))
        {
            Assert.True(inCluster.TryGetValue(name, out var there) && there == value,
                $"deploy/k8s/redis.yaml: '{name} {value}' of deploy/redis.conf is {(there is null ? "missing" : $"'{name} {there}'")}");
        }
        Assert.Equal("noeviction", inCluster["maxmemory-policy"]);
        Assert.Contains("E", inCluster["notify-keyspace-events"], StringComparison.Ordinal);

        var redis = Single("StatefulSet", "redis");
        var container = Assert.Single(redis.Items("spec", "template", "spec", "containers"));
        Assert.Contains(container.Items("args"), a => ((YamlScalarNode)a).Value == "/etc/redis/redis.conf");
        Assert.NotNull(container.Text("readinessProbe", "exec", "command", "0"));
    }

    [Fact]
    public void Compose_publishes_the_load_balancer_only()
    {
        var compose = Assert.Single(Yaml.Load(Repository.PathOf("deploy", "compose.yaml")));
        var services = compose.Entries("services").ToList();
        Assert.Equal(["lb", "redis", "web-1", "web-2", "web-3", "worker"], services.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["lb"], services.Where(s => s.Value.At("ports") is not null).Select(s => s.Key));
        var lb = services.Single(s => s.Key == "lb").Value;
        Assert.Equal(3, lb.Entries("environment").Count(e => e.Key.StartsWith("LoadBalancer__Destinations__", StringComparison.Ordinal)));
    }

    /// <summary>A redis.conf's directives: name -> the rest of the line (the last one wins, as in Redis).</summary>
    private static Dictionary<string, string> Directives(string conf)
    {
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in conf.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            directives[space < 0 ? line : line[..space]] = space < 0 ? "" : line[(space + 1)..].Trim();
        }
        return directives;
    }
}
