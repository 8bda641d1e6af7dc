using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using SearchService.Api.Hosting;

namespace SearchService.Api.Security;

/// <summary>Names of the authorization policies endpoints use.</summary>
internal static class ApiKeyPolicies
{
    public const string Scheme = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    /// <summary>Uploads, edits, deletes: need a key whenever keys are configured.</summary>
    public const string Write = "write";

    /// <summary>Listing, search, downloads: need a key only with <c>Auth:RequireKeyForReads</c>.</summary>
    public const string Read = "read";
}

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header against <c>Auth:ApiKeys</c>. Keys are compared as SHA-256
/// digests in constant time, so neither the length nor the content of a key leaks through timing.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AuthOptions> auth,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(ApiKeyPolicies.HeaderName, out var presented) || presented.Count == 0 || string.IsNullOrEmpty(presented[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presentedDigest = SHA256.HashData(Encoding.UTF8.GetBytes(presented[0]!));
        var matched = -1;
        var keys = auth.CurrentValue.ApiKeys;
        for (var i = 0; i < keys.Count; i++)
        {
            // Every key is compared, so the time taken does not tell which one (or whether any) matched.
            if (CryptographicOperations.FixedTimeEquals(presentedDigest, SHA256.HashData(Encoding.UTF8.GetBytes(keys[i]))))
            {
                matched = i;
            }
        }

        if (matched < 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, $"key-{matched}")], ApiKeyPolicies.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyPolicies.Scheme)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{ApiKeyPolicies.Scheme} header=\"{ApiKeyPolicies.HeaderName}\"";
        var presented = Request.Headers.ContainsKey(ApiKeyPolicies.HeaderName);
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = presented ? "Invalid API key" : "API key required",
                Detail = presented
                    ? $"The {ApiKeyPolicies.HeaderName} header does not hold a configured key."
                    : $"Send a key in the {ApiKeyPolicies.HeaderName} header.",
            },
        });
    }
}

/// <summary>Requires a valid key when the configuration asks for one; a presented key must always be valid.</summary>
internal sealed class ApiKeyRequirement(bool forWrites) : IAuthorizationRequirement
{
    public bool ForWrites { get; } = forWrites;
}

internal sealed class ApiKeyRequirementHandler(IOptionsMonitor<AuthOptions> auth) : AuthorizationHandler<ApiKeyRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiKeyRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true)
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        var options = auth.CurrentValue;
        var presented = context.Resource is HttpContext http && http.Request.Headers.ContainsKey(ApiKeyPolicies.HeaderName);
        var required = options.ApiKeys.Count > 0 && (requirement.ForWrites || options.RequireKeyForReads);
        if (!required && (!presented || options.ApiKeys.Count == 0))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
