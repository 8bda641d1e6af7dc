using Microsoft.Extensions.Options;

namespace SearchService.Storage.Sqlite;

/// <summary>Fails start-up when <c>Storage:DataPath</c> cannot be created or written, naming the folder and the reason.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = StorageOptions.SectionName;
        var errors = new List<string>();
        if (options.SearchThreads < 0)
        {
            errors.Add($"{Section}:SearchThreads must be 0 (all cores) or positive; got {options.SearchThreads}.");
        }

        if (string.IsNullOrWhiteSpace(options.DataPath))
        {
            errors.Add($"{Section}:DataPath must name the data folder (e.g. 'data' or '/var/lib/search').");
        }
        else if (WriteProblem(options.DataPath) is { } problem)
        {
            errors.Add($"{Section}:DataPath '{options.DataPath}' is not a writable folder: {problem}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Creates the folder and a probe file in it; the reason it failed, or null.</summary>
    private static string? WriteProblem(string dataPath)
    {
        string full;
        try
        {
            full = Path.GetFullPath(dataPath);
        }
        catch (Exception error) when (error is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return error.Message;
        }

        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".write-probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            return null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return $"{full}: {error.Message}";
        }
    }
}
