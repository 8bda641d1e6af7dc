using System.Buffers;

namespace SearchService.Interop.OnnxRuntime;

/// <summary>
/// A named input tensor over caller memory. The memory is pinned and handed to ORT without copying for the length
/// of the run only; the caller must not change it while the run is in flight.
/// </summary>
public readonly struct TensorInput
{
    private readonly ReadOnlyMemory<float> floats;
    private readonly ReadOnlyMemory<int> ints;
    private readonly ReadOnlyMemory<long> longs;

    private TensorInput(string name, long[] shape, TensorElementType elementType, int elementCount, ReadOnlyMemory<float> floats, ReadOnlyMemory<int> ints, ReadOnlyMemory<long> longs)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        long expected = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"Input '{name}': dimensions must be non-negative, got [{string.Join(", ", shape)}].", nameof(shape));
            }

            expected = checked(expected * dimension);
        }

        if (expected != elementCount)
        {
            throw new ArgumentException($"Input '{name}': shape [{string.Join(", ", shape)}] holds {expected} elements but {elementCount} were given.", nameof(shape));
        }

        Name = name;
        Shape = shape;
        ElementType = elementType;
        ElementCount = elementCount;
        this.floats = floats;
        this.ints = ints;
        this.longs = longs;
    }

    public string Name { get; }

    public IReadOnlyList<long> Shape { get; }

    public TensorElementType ElementType { get; }

    public int ElementCount { get; }

    internal int ElementSize => ElementType switch
    {
        TensorElementType.Float or TensorElementType.Int32 => 4,
        _ => 8,
    };

    public static TensorInput Float(string name, ReadOnlyMemory<float> data, params long[] shape) =>
        new(name, shape, TensorElementType.Float, data.Length, data, default, default);

    public static TensorInput Int32(string name, ReadOnlyMemory<int> data, params long[] shape) =>
        new(name, shape, TensorElementType.Int32, data.Length, default, data, default);

    public static TensorInput Int64(string name, ReadOnlyMemory<long> data, params long[] shape) =>
        new(name, shape, TensorElementType.Int64, data.Length, default, default, data);

    internal MemoryHandle Pin() => ElementType switch
    {
        TensorElementType.Float => floats.Pin(),
        TensorElementType.Int32 => ints.Pin(),
        TensorElementType.Int64 => longs.Pin(),
        _ => throw new InvalidOperationException("Uninitialised tensor input."),
    };
}
