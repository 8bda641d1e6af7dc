using System.Buffers;
using SearchService.Interop.OnnxRuntime.Native;

namespace SearchService.Interop.OnnxRuntime;

/// <summary>
/// A loaded model. Run is safe to call from many threads at once (ORT's own guarantee); Dispose waits
/// for runs in flight before the native session is released.
/// </summary>
public sealed unsafe class InferenceSession : IDisposable
{
    private readonly OrtRuntime runtime;
    private readonly OrtSessionHandle handle;
    private readonly Dictionary<string, int> nameIndex;

    private InferenceSession(OrtRuntime runtime, OrtSessionHandle handle, string modelPath, IReadOnlyList<string> providers)
    {
        this.runtime = runtime;
        this.handle = handle;
        ModelPath = modelPath;
        Providers = providers;

        using var lease = handle.Lease();
        Inputs = ReadInfos(lease, OrtNative.SessionGetInputCount(lease), OrtNative.SessionGetInputName, OrtNative.SessionGetInputTypeInfo);
        Outputs = ReadInfos(lease, OrtNative.SessionGetOutputCount(lease), OrtNative.SessionGetOutputName, OrtNative.SessionGetOutputTypeInfo);

        // Native copies of every name, made once: a run passes pointers into them instead of marshalling strings.
        var names = Inputs.Concat(Outputs).Select(info => info.Name).ToList();
        handle.Names = new Utf8StringArray(names);
        nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            nameIndex.TryAdd(names[i], i);
        }
    }

    /// <summary>The model file, absolute.</summary>
    public string ModelPath { get; }

    /// <summary>Execution providers the session was built with, in priority order (CPU last, always present).</summary>
    public IReadOnlyList<string> Providers { get; }

    public IReadOnlyList<TensorInfo> Inputs { get; }

    public IReadOnlyList<TensorInfo> Outputs { get; }

    internal static InferenceSession Create(OrtRuntime runtime, string modelPath, SessionOptions options)
    {
        nint session;
        using (var optionsLease = options.Handle.Lease())
        using (var environment = runtime.Environment.Lease())
        {
            session = OrtNative.CreateSession(environment.Pointer, modelPath, optionsLease);
        }

        var handle = new OrtSessionHandle(session);
        try
        {
            return new InferenceSession(runtime, handle, modelPath, [.. options.AppendedProviders, "cpu"]);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The model file's metadata (producer, graph name, custom key/values).</summary>
    public OnnxModelMetadata GetMetadata()
    {
        using var lease = handle.Lease();
        using var metadata = new OrtModelMetadataHandle(OrtNative.SessionGetModelMetadata(lease));
        using var metadataLease = metadata.Lease();
        return new OnnxModelMetadata(
            OrtNative.ModelMetadataGetProducerName(metadataLease),
            OrtNative.ModelMetadataGetGraphName(metadataLease),
            OrtNative.ModelMetadataGetDescription(metadataLease),
            OrtNative.ModelMetadataGetVersion(metadataLease),
            OrtNative.ModelMetadataGetCustomMetadata(metadataLease));
    }

    /// <summary>Runs the model and returns the one output named.</summary>
    public TensorOutput Run(IReadOnlyList<TensorInput> inputs, string outputName, CancellationToken cancellationToken) =>
        Run(inputs, [outputName], cancellationToken)[0];

    /// <summary>
    /// Runs the model. Inputs are pinned and passed without copying; outputs are allocated by ORT and copied out.
    /// Cancelling the token sets ORT's terminate flag on this run only, which stops it between operators.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    /// <exception cref="OnnxRuntimeException">ORT rejected the inputs or failed while running.</exception>
    public TensorOutput[] Run(IReadOnlyList<TensorInput> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        if (outputNames.Count == 0)
        {
            throw new ArgumentException("Name at least one output.", nameof(outputNames));
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var session = handle.Lease();
        var names = handle.Names!.Pointers;
        var inputNames = new nint[inputs.Count];
        var outputNamePointers = new nint[outputNames.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            inputNames[i] = (nint)names[IndexOf(inputs[i].Name, Inputs, "input")];
        }

        for (var i = 0; i < outputNames.Count; i++)
        {
            outputNamePointers[i] = (nint)names[IndexOf(outputNames[i], Outputs, "output")];
        }

        var pins = new MemoryHandle[inputs.Count];
        var inputValues = new OrtValueHandle?[inputs.Count];
        var inputPointers = new nint[inputs.Count];
        var outputPointers = new nint[outputNames.Count];
        OrtRunOptionsHandle? runOptions = null;
        CancellationTokenRegistration registration = default;
        try
        {
            using (var memory = runtime.CpuMemory.Lease())
            {
                for (var i = 0; i < inputs.Count; i++)
                {
                    var input = inputs[i];
                    pins[i] = input.Pin();
                    var shape = input.Shape as long[] ?? [.. input.Shape];
                    inputValues[i] = new OrtValueHandle(OrtNative.CreateTensorWithDataAsOrtValue(
                        memory.Pointer, pins[i].Pointer, (nuint)((long)input.ElementCount * input.ElementSize), shape, input.ElementType));
                    inputPointers[i] = inputValues[i]!.DangerousGetHandle();
                }
            }

            if (cancellationToken.CanBeCanceled)
            {
                runOptions = new OrtRunOptionsHandle(OrtNative.CreateRunOptions());
                registration = cancellationToken.Register(static state => Terminate((OrtRunOptionsHandle)state!), runOptions);
            }

            fixed (nint* inNames = inputNames, inValues = inputPointers, outNames = outputNamePointers, outValues = outputPointers)
            {
                OrtNative.Run(
                    session,
                    runOptions?.DangerousGetHandle() ?? 0,
                    (byte**)inNames,
                    inValues,
                    inputs.Count,
                    (byte**)outNames,
                    outValues,
                    outputNames.Count);
            }

            var results = new TensorOutput[outputNames.Count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = CopyOut(outputNames[i], outputPointers[i]);
            }

            return results;
        }
        catch (OnnxRuntimeException error) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The model run was cancelled.", error, cancellationToken);
        }
        finally
        {
            // Dispose waits for a callback in progress, so the run options outlive any Terminate call.
            registration.Dispose();
            runOptions?.Dispose();
            foreach (var output in outputPointers)
            {
                if (output != 0)
                {
                    OrtNative.ReleaseValue(output);
                }
            }

            for (var i = 0; i < inputs.Count; i++)
            {
                inputValues[i]?.Dispose();
                pins[i].Dispose();
            }
        }
    }

    public void Dispose() => handle.Dispose();

    private static void Terminate(OrtRunOptionsHandle runOptions)
    {
        using var lease = runOptions.Lease();
        OrtNative.RunOptionsSetTerminate(lease);
    }

    private int IndexOf(string name, IReadOnlyList<TensorInfo> declared, string kind)
    {
        if (nameIndex.TryGetValue(name, out var index) && declared.Any(info => info.Name == name))
        {
            return index;
        }

        throw new ArgumentException(
            $"The model {Path.GetFileName(ModelPath)} has no {kind} named '{name}'; its {kind}s are: {string.Join(", ", declared.Select(info => info.Name))}.");
    }

    private static TensorOutput CopyOut(string name, nint value)
    {
        using var info = new OrtTensorTypeAndShapeInfoHandle(OrtNative.GetTensorTypeAndShape(value));
        using var infoLease = info.Lease();
        var (elementType, dimensions) = OrtNative.ReadTensorTypeAndShape(infoLease.Pointer);
        var shape = dimensions.Select(dimension => dimension.Value).ToArray();
        var count = shape.Aggregate(1L, (product, dimension) => checked(product * dimension));
        var source = OrtNative.GetTensorMutableData(value);
        Array data = elementType switch
        {
            TensorElementType.Float => Copy<float>(source, count),
            TensorElementType.Double => Copy<double>(source, count),
            TensorElementType.Float16 => Copy<Half>(source, count),
            TensorElementType.Int32 => Copy<int>(source, count),
            TensorElementType.Int64 => Copy<long>(source, count),
            TensorElementType.Int16 => Copy<short>(source, count),
            TensorElementType.UInt16 => Copy<ushort>(source, count),
            TensorElementType.UInt32 => Copy<uint>(source, count),
            TensorElementType.UInt64 => Copy<ulong>(source, count),
            TensorElementType.Int8 => Copy<sbyte>(source, count),
            TensorElementType.UInt8 or TensorElementType.Bool => Copy<byte>(source, count),
            _ => throw new NotSupportedException($"Output '{name}' has element type {elementType}, which this binding does not read."),
        };
        return new TensorOutput(name, elementType, shape, data);
    }

    private static T[] Copy<T>(void* source, long count)
        where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(checked((int)count));
        new ReadOnlySpan<T>(source, result.Length).CopyTo(result);
        return result;
    }

    private static TensorInfo[] ReadInfos(
        SafeHandleLease session,
        int count,
        Func<SafeHandleLease, int, string> getName,
        Func<SafeHandleLease, int, nint> getTypeInfo)
    {
        var infos = new TensorInfo[count];
        for (var i = 0; i < count; i++)
        {
            var name = getName(session, i);
            using var typeInfo = new OrtTypeInfoHandle(getTypeInfo(session, i));
            using var typeLease = typeInfo.Lease();
            var kind = OrtNative.GetOnnxTypeFromTypeInfo(typeLease);
            if (kind != OnnxValueKind.Tensor)
            {
                infos[i] = new TensorInfo(name, kind, TensorElementType.Undefined, []);
                continue;
            }

            var (elementType, dimensions) = OrtNative.ReadTensorTypeAndShape(OrtNative.CastTypeInfoToTensorInfo(typeLease));
            infos[i] = new TensorInfo(name, kind, elementType, dimensions);
        }

        return infos;
    }
}
