namespace SearchService.Interop.OnnxRuntime;

/// <summary>An output tensor copied out of ORT's memory; owns its data.</summary>
public sealed class TensorOutput
{
    private readonly Array data;

    internal TensorOutput(string name, TensorElementType elementType, long[] shape, Array data)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
        this.data = data;
    }

    public string Name { get; }

    public TensorElementType ElementType { get; }

    public IReadOnlyList<long> Shape { get; }

    /// <summary>The elements in row-major order.</summary>
    /// <exception cref="InvalidOperationException">The tensor holds another element type.</exception>
    public float[] AsFloats() => As<float>(TensorElementType.Float);

    public int[] AsInt32() => As<int>(TensorElementType.Int32);

    public long[] AsInt64() => As<long>(TensorElementType.Int64);

    private T[] As<T>(TensorElementType expected) => data as T[] ?? throw new InvalidOperationException(
        $"Output '{Name}' holds {ElementType} elements, not {expected}.");
}
