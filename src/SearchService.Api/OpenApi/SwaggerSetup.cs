using Microsoft.OpenApi;
using SearchService.Api.Hosting;
using SearchService.Api.Security;
using SearchService.Core.Models;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SearchService.Api.OpenApi;

internal static class SwaggerSetup
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    private const string Description =
        "Semantic image search with CLIP. Upload images, then find them by text (`GET /api/search?q=a red circle`), " +
        "by an example image, by a stored image (`/similar`), or by a weighted mix of texts and images. Every hit " +
        "carries its cosine score. Errors are `application/problem+json`.\n\n" +
        "**Authentication**: send `X-Api-Key` (Authorize button). Writes need a key whenever keys are configured; " +
        "reads need one only when the server sets `Auth:RequireKeyForReads`.";

    public static IServiceCollection AddSearchApiSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "SearchService",
                Version = "v1",
                Description = Description,
            });
            options.IncludeXmlComments(typeof(SwaggerSetup).Assembly);
            options.AddSecurityDefinition(ApiKeyPolicies.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyPolicies.HeaderName,
                Description = "API key from the server's Auth:ApiKeys.",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyPolicies.Scheme, document)] = [],
            });
            options.DocumentFilter<DemoModelNoticeFilter>();
            options.OperationFilter<AlsoAcceptsJsonFilter>();
            options.SupportNonNullableReferenceTypes();
        });
        return services;
    }

    public static WebApplication UseSearchApiSwagger(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint(DocumentPath, "SearchService v1");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "SearchService API";
            options.EnableTryItOutByDefault();
        });
        return app;
    }
}

/// <summary>Puts the demo-model warning at the top of the document, where people using Swagger UI see it first.</summary>
internal sealed class DemoModelNoticeFilter(ModelDescriptor model) : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        if (model.IsDemo)
        {
            swaggerDoc.Info.Description = $"> ⚠️ **{DemoModel.Notice}**\n\n{swaggerDoc.Info.Description}";
        }
    }
}

/// <summary>An endpoint that reads its body itself and takes JSON besides the form its <c>Accepts</c> declares.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class AlsoAcceptsJsonAttribute(Type body) : Attribute
{
    public Type Body { get; } = body;
}

/// <summary>Adds the JSON alternative to the request body, so Swagger UI offers both the form and JSON.</summary>
internal sealed class AlsoAcceptsJsonFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var json = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<AlsoAcceptsJsonAttribute>().FirstOrDefault();
        if (json is null || operation.RequestBody?.Content is not { } content)
        {
            return;
        }

        content["application/json"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(json.Body, context.SchemaRepository) };
    }
}
