namespace SearchService.Interop.OnnxRuntime;

/// <summary>One dimension of a graph input or output: a fixed size, or dynamic (<see cref="Value"/> −1) with an optional symbolic name.</summary>
public readonly record struct TensorDimension(long Value, string? Symbol)
{
    public bool IsFixed => Value >= 0;

    public override string ToString() => IsFixed ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : Symbol ?? "?";
}

/// <summary>A graph input or output as the model declares it.</summary>
/// <param name="Name">The graph's name for it.</param>
/// <param name="Kind">Tensor for every model this service runs; others have no element type or shape.</param>
/// <param name="ElementType">Element type of a tensor.</param>
/// <param name="Dimensions">Shape of a tensor, fixed or symbolic per dimension.</param>
public sealed record TensorInfo(string Name, OnnxValueKind Kind, TensorElementType ElementType, IReadOnlyList<TensorDimension> Dimensions)
{
    public override string ToString() => $"{Name}: {ElementType} [{string.Join(", ", Dimensions)}]";
}

/// <summary>What the model file says about itself.</summary>
public sealed record OnnxModelMetadata(
    string ProducerName,
    string GraphName,
    string Description,
    long Version,
    IReadOnlyDictionary<string, string> CustomMetadata);
