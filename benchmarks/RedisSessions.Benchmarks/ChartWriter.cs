using System.Globalization;
using System.Security;
using System.Text;

namespace RedisSessions.Benchmarks;

/// <summary>Draws the standalone side-by-side table as an SVG bar chart (docs/benchmark-chart.svg, shown in the
/// README): throughput per workload for both sides with the ratio and its target, then memory per session.</summary>
internal static class ChartWriter
{
    private const string Ours = "#2b6cb0";
    private const string Theirs = "#dd6b20";
    private const string Good = "#2f855a";
    private const string ClientColor = "#718096";
    private const string Bad = "#c53030";
    private const int Width = 980;
    private const int LabelWidth = 300;
    private const int BarArea = 420;
    private const int RatioX = LabelWidth + BarArea + 100;
    private const int TargetX = RatioX + 58;
    private const int BarHeight = 15;

    public static string Build(TopologyResult t, TopologyResult? cluster, string footnote)
    {
        var rows = ReportWriter.Rows.Where(r => r.OursPhase != Phases.RequestRefreshDue && t.Has(r.OursSide, r.OursPhase)).ToList();
        double Ops(string side, string phase) => t.Median(side, phase, r => r.Load.OperationsPerSecond) ?? 0;
        var client = t.Median(Sides.Client, Phases.ClientHashGetAll, r => r.Load.OperationsPerSecond);
        var max = rows.SelectMany(r => new[] { Ops(r.OursSide, r.OursPhase), Ops(Sides.Peer, r.PeerPhase) }).Append(client ?? 0).Max();
        var svg = new StringBuilder();
        var y = 0;
        var height = 128 + rows.Count * 50 + (client is null ? 0 : 42) + 50 + (cluster is null ? 26 : 44);
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="13">""");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="#ffffff"/>""");
        y += 28;
        Text(svg, 20, y, "RedisSessions vs express-session + connect-redis: operations per second (higher is better)", 17, "bold");
        y += 20;
        var where = t.Masters == 1 ? $"redis-server {t.RedisVersion}" : $"{t.Masters}-master Redis Cluster";
        Text(svg, 20, y, $"The same private {where}, 64 operations in flight, sides alternating; medians of the pairs; ratio = RedisSessions / connect-redis", 12, "normal", "#4a5568");
        y += 24;
        Legend(svg, 20, y);
        Text(svg, RatioX, y + 3, "ratio", 12, "bold", "#4a5568");
        Text(svg, TargetX, y + 3, "target", 12, "bold", "#4a5568");
        y += 30;

        foreach (var row in rows)
        {
            var ours = Ops(row.OursSide, row.OursPhase);
            Text(svg, 20, y + 13, row.ShortName, 13, "bold");
            Text(svg, 20, y + 29, $"{Plain(row.OursCall)} vs {Plain(row.PeerCall)}", 11, "normal", "#4a5568");
            Bar(svg, y, ours, max, Ours, $"{ours:N0}/s");
            if (t.Has(Sides.Peer, row.PeerPhase))
            {
                var theirs = Ops(Sides.Peer, row.PeerPhase);
                Bar(svg, y + BarHeight + 4, theirs, max, Theirs, $"{theirs:N0}/s");
                var ratio = t.MedianRatio(row.OursSide, row.OursPhase, Sides.Peer, row.PeerPhase, r => r.Load.OperationsPerSecond) ?? 0;
                var met = row.Target is not { } target || ratio >= target;
                Text(svg, RatioX, y + 22, $"{ratio:0.00}×", 15, "bold", row.Target is null ? "#2d3748" : met ? Good : Bad);
                if (row.Target is { } goal)
                {
                    Text(svg, TargetX, y + 22, $"≥ {goal:0.0}× {(met ? "✓" : "✗")}", 13, "normal", met ? Good : Bad);
                }
            }
            y += 50;
        }

        if (client is { } ceiling)
        {
            // The client ceiling: StackExchange.Redis alone, the request cycle's one command per operation, as many in
            // flight. No request-cycle bar of RedisSessions can pass it on this client.
            Text(svg, 20, y + 13, "client ceiling (not a library call)", 13, "bold", ClientColor);
            Text(svg, 20, y + 29, $"StackExchange.Redis {RunEnvironment.StackExchangeRedisVersion} alone, plain HGETALL", 11, "normal", "#4a5568");
            Bar(svg, y + 8, ceiling, max, ClientColor, $"{ceiling:N0}/s");
            y += 42;
        }

        y += 8;
        Text(svg, 20, y + 13, "memory per session", 13, "bold");
        var mine = t.MemoryOf(Sides.Ours);
        var other = t.MemoryOf(Sides.Peer);
        Text(svg, 20, y + 29, $"lower is better; {mine?.Sessions:N0} sessions, every index", 11, "normal", "#4a5568");
        if (mine is not null)
        {
            var maxBytes = Math.Max(mine.MedianBytesPerSession, other?.MedianBytesPerSession ?? 0);
            Bar(svg, y, mine.MedianBytesPerSession, maxBytes, Ours, $"{mine.MedianBytesPerSession:N0} B");
            if (other is not null)
            {
                Bar(svg, y + BarHeight + 4, other.MedianBytesPerSession, maxBytes, Theirs, $"{other.MedianBytesPerSession:N0} B");
                var ratio = mine.MedianBytesPerSession / other.MedianBytesPerSession;
                var met = ratio <= ReportWriter.MemoryTarget;
                Text(svg, RatioX, y + 22, $"{ratio:0.00}×", 15, "bold", met ? Good : Bad);
                Text(svg, TargetX, y + 22, $"≤ {ReportWriter.MemoryTarget:0.0}× {(met ? "✓" : "✗")}", 13, "normal", met ? Good : Bad);
            }
        }
        y += 58;
        if (cluster is not null && cluster.Has(Sides.Peer, Phases.Request))
        {
            var parts = ReportWriter.Rows.Where(r => r.Target is not null && cluster.Has(r.OursSide, r.OursPhase) && cluster.Has(Sides.Peer, r.PeerPhase))
                .Select(r => $"{r.ShortName} {cluster.MedianRatio(r.OursSide, r.OursPhase, Sides.Peer, r.PeerPhase, x => x.Load.OperationsPerSecond):0.00}×");
            Text(svg, 20, y, $"{cluster.Masters}-master cluster, same harness: {string.Join(", ", parts)}", 12, "normal", "#2d3748");
            y += 18;
        }
        Text(svg, 20, y, footnote, 11, "normal", "#718096");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string Plain(string text) => text.Replace("`", string.Empty, StringComparison.Ordinal);

    private static void Legend(StringBuilder svg, int x, int y)
    {
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{x}" y="{y - 8}" width="12" height="12" fill="{Ours}"/>""");
        Text(svg, x + 18, y + 3, "RedisSessions (.NET 10, StackExchange.Redis)", 12, "normal");
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{x + 320}" y="{y - 8}" width="12" height="12" fill="{Theirs}"/>""");
        Text(svg, x + 338, y + 3, "express-session + connect-redis (Node.js, node-redis)", 12, "normal");
    }

    private static void Bar(StringBuilder svg, int y, double value, double max, string color, string label)
    {
        var width = max > 0 ? Math.Max(1, value / max * BarArea) : 1;
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{LabelWidth}" y="{y}" width="{width:0.#}" height="{BarHeight}" fill="{color}" rx="2"/>""");
        Text(svg, LabelWidth + width + 6, y + BarHeight - 3, label, 12, "normal", "#2d3748");
    }

    private static void Text(StringBuilder svg, double x, double y, string text, int size, string weight, string color = "#1a202c") =>
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{x:0.#}" y="{y:0.#}" font-size="{size}" font-weight="{weight}" fill="{color}">{SecurityElement.Escape(text)}</text>""");
}
