namespace SearchService.Inference.Provisioning;

/// <summary>How the model folder was found.</summary>
public enum ModelSource
{
    /// <summary><c>Model:Path</c> names it.</summary>
    Configured,

    /// <summary>Already in <c>Model:Root</c>/<c>Model:Name</c>.</summary>
    Found,

    /// <summary>Downloaded at this start-up.</summary>
    Downloaded,

    /// <summary>The configured model could not be had; the bundled demo model runs instead.</summary>
    DemoFallback,
}

/// <summary>Which model folder the service runs, and why.</summary>
/// <param name="Folder">The folder to load.</param>
/// <param name="Source">How it was found.</param>
/// <param name="RequestedName">The model the configuration asked for.</param>
/// <param name="Problem">For <see cref="ModelSource.DemoFallback"/>: why the requested model is unavailable and what to do.</param>
public sealed record ModelProvisioning(string Folder, ModelSource Source, string RequestedName, string? Problem = null);

/// <summary>The configured model cannot be had and no demo fallback is allowed or present; says what to do.</summary>
public sealed class ModelUnavailableException(string message) : Exception(message);

/// <summary>A download failed; names the URL or file and the reason.</summary>
public sealed class ModelDownloadException(string message, Exception? innerException = null) : Exception(message, innerException);
