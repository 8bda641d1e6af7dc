namespace SearchService.Api.Hosting;

/// <summary>When this process started serving, for uptime in stats.</summary>
internal sealed class ServiceClock(TimeProvider time)
{
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public TimeSpan Uptime => time.GetUtcNow() - StartedAt;
}

/// <summary>What people are told when the bundled demo model is serving.</summary>
internal static class DemoModel
{
    public const string Notice =
        "DEMO MODEL: the service runs the bundled demo-shapes-clip model, trained only on synthetic coloured shapes " +
        "(\"a red circle\", \"a blue star\"). It is not a real CLIP model: results on real photos are meaningless. " +
        "Put a real model in Model:Root (Immich layout, e.g. ViT-B-32__openai) or allow the download, then restart.";
}
