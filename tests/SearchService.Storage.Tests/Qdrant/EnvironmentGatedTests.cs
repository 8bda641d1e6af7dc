using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace SearchService.Storage.Tests;

/// <summary>
/// On a test class: its tests need these environment variables (e.g. <c>QDRANT_URL</c> for a live server)
/// and are reported as skipped, naming the variable, when one is missing. Honoured by tests marked
/// <see cref="StoreFactAttribute"/> or <see cref="StoreTheoryAttribute"/>, so a shared abstract suite runs in
/// full for one store and skips visibly for another.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
public sealed class RequiresEnvironmentVariableAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>A fact skipped when its class's <see cref="RequiresEnvironmentVariableAttribute"/> variables are missing.</summary>
[XunitTestCaseDiscoverer("SearchService.Storage.Tests.StoreFactDiscoverer", "SearchService.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>A theory skipped when its class's <see cref="RequiresEnvironmentVariableAttribute"/> variables are missing.</summary>
[XunitTestCaseDiscoverer("SearchService.Storage.Tests.StoreTheoryDiscoverer", "SearchService.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreTheoryAttribute : TheoryAttribute;

internal static class EnvironmentGate
{
    /// <summary>Why the test class cannot run here, or null when every required variable is set.</summary>
    public static string? SkipReason(ITestMethod testMethod)
    {
        var missing = testMethod.TestClass.Class
            .GetCustomAttributes(typeof(RequiresEnvironmentVariableAttribute))
            .Select(attribute => attribute.GetConstructorArguments().Single() as string)
            .Where(name => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name!)))
            .ToArray();
        return missing.Length == 0 ? null : $"needs the environment variable {string.Join(", ", missing)} (a live server)";
    }

    /// <summary>One skipped test case (a theory is skipped whole) when the gate is closed, else null.</summary>
    public static IEnumerable<IXunitTestCase>? Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod)
    {
        ArgumentNullException.ThrowIfNull(discoveryOptions);
        return SkipReason(testMethod) is { } reason
            ? [new XunitSkippedDataRowTestCase(sink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)]
            : null;
    }
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    private readonly IMessageSink _sink = diagnosticMessageSink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        EnvironmentGate.Skipped(_sink, discoveryOptions, testMethod) ?? base.Discover(discoveryOptions, testMethod, factAttribute);
}

public sealed class StoreTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    private readonly IMessageSink _sink = diagnosticMessageSink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        EnvironmentGate.Skipped(_sink, discoveryOptions, testMethod) ?? base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
