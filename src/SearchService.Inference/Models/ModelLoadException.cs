namespace SearchService.Inference.Models;

/// <summary>A model folder cannot be used: a file is missing, unreadable or disagrees with another. Names the file.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file (or folder) at fault.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
