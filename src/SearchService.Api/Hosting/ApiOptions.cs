using Microsoft.Extensions.Options;

namespace SearchService.Api.Hosting;

/// <summary>API keys (section <c>Auth</c>). With no keys configured the service is open (a warning is logged).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public const int MinimumKeyLength = 16;

    /// <summary>Accepted values of the <c>X-Api-Key</c> header.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>Also require a key for reads (listing, search, downloads); writes always need one when keys exist.</summary>
    public bool RequireKeyForReads { get; set; }
}

/// <summary>Request size and time limits (section <c>Limits</c>).</summary>
public sealed class LimitsOptions
{
    public const string SectionName = "Limits";

    /// <summary>Largest request body in bytes (all files of an upload together).</summary>
    public long MaxUploadBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most files in one upload request.</summary>
    public int MaxFilesPerRequest { get; set; } = 32;

    /// <summary>Longest side of the stored thumbnail in pixels.</summary>
    public int ThumbnailSize { get; set; } = 320;

    /// <summary>Time a read or search request may take before it is cancelled with 504.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time an upload (decode + embed + store of every file) may take.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// On shutdown (SIGTERM, Ctrl+C), how long requests in flight may take to finish before they are cut off; the stores
    /// are flushed and closed after that. Keep it below the orchestrator's grace period (compose: 30 s).
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);
}

/// <summary>Per-client fixed-window limits (section <c>RateLimiting</c>), partitioned by API key or remote address.</summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    public bool Enabled { get; set; } = true;

    /// <summary>Upload requests (each may carry many files).</summary>
    public WindowLimit Ingest { get; set; } = new() { PermitLimit = 60, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Search, similar and classify requests.</summary>
    public WindowLimit Search { get; set; } = new() { PermitLimit = 600, Window = TimeSpan.FromMinutes(1) };
}

public sealed class WindowLimit
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.ApiKeys.Any(k => string.IsNullOrWhiteSpace(k) || k.Trim().Length < AuthOptions.MinimumKeyLength))
        {
            failures.Add($"Auth:ApiKeys: every key must have at least {AuthOptions.MinimumKeyLength} characters (use e.g. `openssl rand -hex 32`).");
        }

        if (options.ApiKeys.Distinct(StringComparer.Ordinal).Count() != options.ApiKeys.Count)
        {
            failures.Add("Auth:ApiKeys: a key is listed twice.");
        }

        if (options.RequireKeyForReads && options.ApiKeys.Count == 0)
        {
            failures.Add("Auth:RequireKeyForReads is true but Auth:ApiKeys is empty: no request could ever be served.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var failures = new List<string>();
        if (options.MaxUploadBytes < 1024)
        {
            failures.Add($"Limits:MaxUploadBytes must be at least 1024 (it is {options.MaxUploadBytes}).");
        }

        if (options.MaxFilesPerRequest is < 1 or > 1000)
        {
            failures.Add($"Limits:MaxFilesPerRequest must be between 1 and 1000 (it is {options.MaxFilesPerRequest}).");
        }

        if (options.ThumbnailSize is < 16 or > 4096)
        {
            failures.Add($"Limits:ThumbnailSize must be between 16 and 4096 (it is {options.ThumbnailSize}).");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.UploadTimeout <= TimeSpan.Zero || options.ShutdownTimeout <= TimeSpan.Zero)
        {
            failures.Add("Limits:RequestTimeout, Limits:UploadTimeout and Limits:ShutdownTimeout must be positive (e.g. \"00:00:30\").");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

internal sealed class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitingOptions options)
    {
        var failures = new List<string>();
        foreach (var (section, limit) in new[] { ("Ingest", options.Ingest), ("Search", options.Search) })
        {
            if (limit.PermitLimit < 1 || limit.Window <= TimeSpan.Zero)
            {
                failures.Add($"RateLimiting:{section} needs PermitLimit ≥ 1 and a positive Window (e.g. \"00:01:00\").");
            }
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

internal sealed class SearchOptionsValidator : IValidateOptions<Core.Search.SearchOptions>
{
    public ValidateOptionsResult Validate(string? name, Core.Search.SearchOptions options)
    {
        var failures = new List<string>();
        if (options.MaxLimit is < 1 or > 1000)
        {
            failures.Add("Search:MaxLimit must be between 1 and 1000.");
        }

        if (options.MaxOffset < 0 || options.MaxQueryLength < 1 || options.MaxTerms < 1 || options.QueryCacheSize < 0)
        {
            failures.Add("Search:MaxOffset and Search:QueryCacheSize must be ≥ 0; Search:MaxQueryLength and Search:MaxTerms ≥ 1.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
