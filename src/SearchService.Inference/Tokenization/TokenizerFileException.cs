namespace SearchService.Inference.Tokenization;

/// <summary>
/// A tokenizer file (tokenizer.json or tokenizer_config.json) that is missing, is not valid JSON, or asks
/// for something this tokenizer does not implement exactly. The message names the file and the problem.
/// </summary>
public sealed class TokenizerFileException : Exception
{
    public TokenizerFileException(string filePath, string problem, Exception? innerException = null)
        : base($"Tokenizer file '{filePath}': {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that is wrong.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Problem { get; }
}
