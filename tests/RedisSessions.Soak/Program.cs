using RedisSessions.Soak;

SoakSettings settings;
try
{
    settings = SoakSettings.Parse(args);
}
catch (HelpRequestedException)
{
    Console.WriteLine(SoakSettings.Usage);
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(SoakSettings.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var phases = new List<SoakPhase>();
foreach (var notice in settings.NoticePeriods)
{
    var phase = new SoakPhase(settings, notice);
    phases.Add(phase);
    await phase.RunAsync(cancel.Token);
}

var report = SoakReport.Write(settings, phases);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Output))!);
await File.WriteAllTextAsync(settings.Output, report);
Console.WriteLine($"Report: {Path.GetFullPath(settings.Output)}");
var failed = phases.Any(p => p.Lost > 0 || p.Duplicated > 0 || !p.MemoryReturned);
if (failed)
{
    Console.Error.WriteLine("The soak found sessions lost or handled twice, or memory that did not come back: see the report.");
}
return failed ? 1 : 0;
