using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SearchService.Api.Endpoints;
using SearchService.Api.ErrorHandling;
using SearchService.Api.Health;
using SearchService.Api.Ingest;
using SearchService.Api.Logging;
using SearchService.Api.OpenApi;
using SearchService.Api.Security;
using SearchService.Api.Uploads;
using SearchService.Core.Classification;
using SearchService.Core.Library;
using SearchService.Core.Models;
using SearchService.Core.Search;

namespace SearchService.Api.Hosting;

internal static class RateLimitPolicies
{
    public const string Ingest = "ingest";
    public const string Search = "search";
}

internal static class RequestTimeoutPolicies
{
    public const string Upload = "upload";
}

/// <summary>The HTTP API on top of the ports: domain services, endpoints, errors, security, limits, health, Swagger.</summary>
public static class SearchApiRegistration
{
    /// <summary>
    /// Registers the domain services and everything the HTTP surface needs. The ports (encoders, image
    /// preparation, catalog, blobs, vectors) come from the adapters' own registrations.
    /// </summary>
    public static IServiceCollection AddSearchApi(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>();
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SearchOptions>, SearchOptionsValidator>();
        services.AddOptions<VectorStoreOptions>().BindConfiguration(VectorStoreOptions.SectionName);

        // Domain services (Core); every one is a shared singleton over the shared ports.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => provider.GetRequiredService<IImageEncoder>().Model);
        services.AddSingleton(provider => new TextEmbeddings(
            provider.GetRequiredService<ITextEncoder>(), provider.GetRequiredService<IOptions<SearchOptions>>().Value));
        services.AddSingleton(provider => new ImageSearch(
            provider.GetRequiredService<TextEmbeddings>(),
            provider.GetRequiredService<Core.Storage.IVectorStore>(),
            provider.GetRequiredService<Core.Storage.IImageCatalog>(),
            provider.GetRequiredService<IOptions<SearchOptions>>().Value));
        services.AddSingleton(provider => new ZeroShotClassifier(
            provider.GetRequiredService<TextEmbeddings>(), provider.GetRequiredService<IOptions<SearchOptions>>().Value));
        services.TryAddSingleton<IImageLibrary, ImageLibrary>();
        services.AddSingleton<UploadedImages>();
        services.AddSingleton<ServiceClock>();
        services.AddSingleton<LibraryState>();
        services.AddHostedService<LibraryStartup>();

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));

        services.AddAuthentication(ApiKeyPolicies.Scheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyPolicies.Scheme, null);
        services.AddSingleton<IAuthorizationHandler, ApiKeyRequirementHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyPolicies.Write, policy => policy.AddRequirements(new ApiKeyRequirement(forWrites: true)))
            .AddPolicy(ApiKeyPolicies.Read, policy => policy.AddRequirements(new ApiKeyRequirement(forWrites: false)));

        services.AddRateLimiter(ConfigureRateLimiting);
        services.AddRequestTimeouts();
        services.AddSingleton<IConfigureOptions<RequestTimeoutOptions>, ConfigureTimeouts>();
        services.AddSingleton<IConfigureOptions<HostOptions>, ConfigureTimeouts>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, ConfigureBodyLimits>();
        services.AddSingleton<IConfigureOptions<FormOptions>, ConfigureBodyLimits>();

        services.AddHealthChecks()
            .AddCheck<ModelHealthCheck>("model", tags: ["ready"])
            .AddCheck<StorageHealthCheck>("storage", tags: ["ready"]);
        services.AddSearchApiSwagger();
        services.AddIngest();
        return services;
    }

    /// <summary>The middleware pipeline and every endpoint.</summary>
    public static WebApplication MapSearchApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSearchApiSwagger();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseRequestTimeouts();

        app.MapImagesEndpoints();
        app.MapSearchEndpoints();
        app.MapClassifyEndpoints();
        app.MapSystemEndpoints();
        app.MapIngestEndpoints();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).ExcludeFromDescription();
        return app;
    }

    private static void ConfigureRateLimiting(RateLimiterOptions options)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.AddPolicy(RateLimitPolicies.Ingest, context => Partition(context, o => o.Ingest));
        options.AddPolicy(RateLimitPolicies.Search, context => Partition(context, o => o.Search));
        options.OnRejected = async (rejected, cancellationToken) =>
        {
            var http = rejected.HttpContext;
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            ApiLog.RateLimited(http.RequestServices.GetRequiredService<ILogger<RateLimiterOptions>>(), PartitionKey(http), http.Request.Path);
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"This client's request limit is used up; retry in {seconds} s.",
                },
            });
        };
    }

    private static RateLimitPartition<string> Partition(HttpContext context, Func<RateLimitingOptions, WindowLimit> select)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitingOptions>>().CurrentValue;
        if (!options.Enabled)
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }

        var limit = select(options);
        return RateLimitPartition.GetFixedWindowLimiter(PartitionKey(context), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window,
            QueueLimit = 0,
        });
    }

    /// <summary>The authenticated key when there is one, else the remote address (so invented keys do not escape the limit).</summary>
    private static string PartitionKey(HttpContext context) =>
        context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } key
            ? key
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private sealed class ConfigureTimeouts(IOptions<LimitsOptions> limits) : IConfigureOptions<RequestTimeoutOptions>, IConfigureOptions<HostOptions>
    {
        /// <summary>Kestrel lets requests in flight finish within this time on shutdown; the stores are disposed after it.</summary>
        public void Configure(HostOptions options) => options.ShutdownTimeout = limits.Value.ShutdownTimeout;

        public void Configure(RequestTimeoutOptions options)
        {
            options.DefaultPolicy = new RequestTimeoutPolicy { Timeout = limits.Value.RequestTimeout, TimeoutStatusCode = StatusCodes.Status504GatewayTimeout };
            options.AddPolicy(RequestTimeoutPolicies.Upload, new RequestTimeoutPolicy
            {
                Timeout = limits.Value.UploadTimeout,
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            });
        }
    }

    private sealed class ConfigureBodyLimits(IOptions<LimitsOptions> limits) : IConfigureOptions<KestrelServerOptions>, IConfigureOptions<FormOptions>
    {
        public void Configure(KestrelServerOptions options) => options.Limits.MaxRequestBodySize = limits.Value.MaxUploadBytes;

        public void Configure(FormOptions options) => options.MultipartBodyLengthLimit = limits.Value.MaxUploadBytes;
    }
}
