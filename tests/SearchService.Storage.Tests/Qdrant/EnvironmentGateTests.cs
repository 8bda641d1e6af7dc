using Xunit;

namespace SearchService.Storage.Tests.Qdrant;

/// <summary>
/// The gate itself: this class requires a variable that never exists, so its tests must be reported skipped;
/// if the gate failed open, they would run and fail.
/// </summary>
[RequiresEnvironmentVariable("SEARCHSERVICE_VARIABLE_THAT_IS_NEVER_SET")]
public sealed class EnvironmentGateTests
{
    [StoreFact]
    public void Skipped_when_the_variable_is_missing() => Assert.Fail("ran although its required environment variable is missing");

    [StoreTheory]
    [InlineData(1)]
    public void Theories_are_skipped_too(int value) => Assert.Fail($"ran ({value}) although its required environment variable is missing");
}

/// <summary>Without the attribute the same markers run normally.</summary>
public sealed class EnvironmentGateOpenTests
{
    [StoreFact]
    public void Runs_without_requirements() => Assert.True(true);

    [StoreTheory]
    [InlineData(2)]
    public void Theories_run_without_requirements(int value) => Assert.Equal(2, value);
}
