using SearchService.Storage.Tests.Durability;

namespace SearchService.Storage.Tests;

/// <summary>
/// The test assembly's own entry point (the test SDK's generated one is switched off): the test runner never calls
/// it; <see cref="KilledWriterTests"/> starts this assembly as a child process that writes until it is killed.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is [DurabilityWriter.Command, var dataPath, var maxImages])
        {
            return await DurabilityWriter.RunAsync(dataPath, int.Parse(maxImages, System.Globalization.CultureInfo.InvariantCulture));
        }

        await Console.Error.WriteLineAsync($"usage: {DurabilityWriter.Command} <data folder> <max images>");
        return 2;
    }
}
