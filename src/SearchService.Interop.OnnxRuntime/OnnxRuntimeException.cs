namespace SearchService.Interop.OnnxRuntime;

/// <summary>A call into ONNX Runtime returned an error status; carries ORT's own code and message.</summary>
public sealed class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException(OrtErrorCode errorCode, string nativeMessage, string? context = null)
        : base(context is null ? $"ONNX Runtime error {errorCode}: {nativeMessage}" : $"{context}: ONNX Runtime error {errorCode}: {nativeMessage}")
    {
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    /// <summary>ORT's error code.</summary>
    public OrtErrorCode ErrorCode { get; }

    /// <summary>ORT's message, unchanged.</summary>
    public string NativeMessage { get; }
}

/// <summary>The ONNX Runtime library could not be found, loaded, or is too old.</summary>
public sealed class OnnxRuntimeLoadException : Exception
{
    public OnnxRuntimeLoadException(string message, IReadOnlyList<string> attempts)
        : base(attempts.Count == 0 ? message : $"{message} Tried: {string.Join("; ", attempts)}")
    {
        Attempts = attempts;
    }

    /// <summary>Each candidate tried, with why it was not used.</summary>
    public IReadOnlyList<string> Attempts { get; }
}
