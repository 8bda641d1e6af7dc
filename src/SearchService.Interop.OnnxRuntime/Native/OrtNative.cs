using System.Runtime.InteropServices;
using System.Text;

namespace SearchService.Interop.OnnxRuntime.Native;

/// <summary>
/// The <c>OrtApi</c> function table. Two layers: private raw function pointers named after the C members and read
/// from their slot (index × pointer size), and internal wrappers that turn every returned <c>OrtStatus*</c> into an
/// <see cref="OnnxRuntimeException"/>. The table only grows at its end, so a slot index never changes meaning;
/// every slot used here exists from API version <see cref="MinimumApiVersion"/> on.
/// </summary>
internal static unsafe class OrtNative
{
    /// <summary>ORT 1.17: the lowest version that has every slot below.</summary>
    internal const uint MinimumApiVersion = 17;

    private static delegate* unmanaged<nint, int> OrtGetErrorCode;
    private static delegate* unmanaged<nint, byte*> OrtGetErrorMessage;
    private static delegate* unmanaged<nint, nint, int, byte*, nint*, nint> OrtCreateEnvWithCustomLogger;
    private static delegate* unmanaged<nint, void*, nint, nint*, nint> OrtCreateSession;
    private static delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> OrtRun;
    private static delegate* unmanaged<nint*, nint> OrtCreateSessionOptions;
    private static delegate* unmanaged<nint, byte*, nint> OrtSetSessionLogId;
    private static delegate* unmanaged<nint, int, nint> OrtSetSessionGraphOptimizationLevel;
    private static delegate* unmanaged<nint, int, nint> OrtSetIntraOpNumThreads;
    private static delegate* unmanaged<nint, int, nint> OrtSetInterOpNumThreads;
    private static delegate* unmanaged<nint, nuint*, nint> OrtSessionGetInputCount;
    private static delegate* unmanaged<nint, nuint*, nint> OrtSessionGetOutputCount;
    private static delegate* unmanaged<nint, nuint, nint*, nint> OrtSessionGetInputTypeInfo;
    private static delegate* unmanaged<nint, nuint, nint*, nint> OrtSessionGetOutputTypeInfo;
    private static delegate* unmanaged<nint, nuint, nint, byte**, nint> OrtSessionGetInputName;
    private static delegate* unmanaged<nint, nuint, nint, byte**, nint> OrtSessionGetOutputName;
    private static delegate* unmanaged<nint*, nint> OrtCreateRunOptions;
    private static delegate* unmanaged<nint, nint> OrtRunOptionsSetTerminate;
    private static delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> OrtCreateTensorWithDataAsOrtValue;
    private static delegate* unmanaged<nint, void**, nint> OrtGetTensorMutableData;
    private static delegate* unmanaged<nint, nint*, nint> OrtCastTypeInfoToTensorInfo;
    private static delegate* unmanaged<nint, int*, nint> OrtGetOnnxTypeFromTypeInfo;
    private static delegate* unmanaged<nint, int*, nint> OrtGetTensorElementType;
    private static delegate* unmanaged<nint, nuint*, nint> OrtGetDimensionsCount;
    private static delegate* unmanaged<nint, long*, nuint, nint> OrtGetDimensions;
    private static delegate* unmanaged<nint, byte**, nuint, nint> OrtGetSymbolicDimensions;
    private static delegate* unmanaged<nint, nint*, nint> OrtGetTensorTypeAndShape;
    private static delegate* unmanaged<int, int, nint*, nint> OrtCreateCpuMemoryInfo;
    private static delegate* unmanaged<nint, void*, nint> OrtAllocatorFree;
    private static delegate* unmanaged<nint*, nint> OrtGetAllocatorWithDefaultOptions;
    private static delegate* unmanaged<nint, void> OrtReleaseEnv;
    private static delegate* unmanaged<nint, void> OrtReleaseStatus;
    private static delegate* unmanaged<nint, void> OrtReleaseMemoryInfo;
    private static delegate* unmanaged<nint, void> OrtReleaseSession;
    private static delegate* unmanaged<nint, void> OrtReleaseValue;
    private static delegate* unmanaged<nint, void> OrtReleaseRunOptions;
    private static delegate* unmanaged<nint, void> OrtReleaseTypeInfo;
    private static delegate* unmanaged<nint, void> OrtReleaseTensorTypeAndShapeInfo;
    private static delegate* unmanaged<nint, void> OrtReleaseSessionOptions;
    private static delegate* unmanaged<nint, nint*, nint> OrtSessionGetModelMetadata;
    private static delegate* unmanaged<nint, nint, byte**, nint> OrtModelMetadataGetProducerName;
    private static delegate* unmanaged<nint, nint, byte**, nint> OrtModelMetadataGetGraphName;
    private static delegate* unmanaged<nint, nint, byte**, nint> OrtModelMetadataGetDescription;
    private static delegate* unmanaged<nint, nint, byte*, byte**, nint> OrtModelMetadataLookupCustomMetadataMap;
    private static delegate* unmanaged<nint, long*, nint> OrtModelMetadataGetVersion;
    private static delegate* unmanaged<nint, void> OrtReleaseModelMetadata;
    private static delegate* unmanaged<nint, nint, byte***, long*, nint> OrtModelMetadataGetCustomMetadataMapKeys;
    private static delegate* unmanaged<byte***, int*, nint> OrtGetAvailableProviders;
    private static delegate* unmanaged<byte**, int, nint> OrtReleaseAvailableProviders;
    private static delegate* unmanaged<nint, byte*, byte*, nint> OrtAddSessionConfigEntry;
    private static delegate* unmanaged<nint, nint, nint> OrtSessionOptionsAppendExecutionProvider_CUDA_V2;
    private static delegate* unmanaged<nint*, nint> OrtCreateCUDAProviderOptions;
    private static delegate* unmanaged<nint, byte**, byte**, nuint, nint> OrtUpdateCUDAProviderOptions;
    private static delegate* unmanaged<nint, void> OrtReleaseCUDAProviderOptions;
    private static delegate* unmanaged<byte*> OrtGetBuildInfoString;

    /// <summary>The default CPU allocator; owned by ORT and never released.</summary>
    private static nint defaultAllocator;

    /// <summary>Reads every function pointer from an <c>OrtApi*</c> obtained with <see cref="MinimumApiVersion"/> or later.</summary>
    internal static void Bind(nint apiTable)
    {
        var slots = (nint*)apiTable;
        OrtGetErrorCode = (delegate* unmanaged<nint, int>)slots[1];
        OrtGetErrorMessage = (delegate* unmanaged<nint, byte*>)slots[2];
        OrtCreateEnvWithCustomLogger = (delegate* unmanaged<nint, nint, int, byte*, nint*, nint>)slots[4];
        OrtCreateSession = (delegate* unmanaged<nint, void*, nint, nint*, nint>)slots[7];
        OrtRun = (delegate* unmanaged<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)slots[9];
        OrtCreateSessionOptions = (delegate* unmanaged<nint*, nint>)slots[10];
        OrtSetSessionLogId = (delegate* unmanaged<nint, byte*, nint>)slots[20];
        OrtSetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)slots[23];
        OrtSetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)slots[24];
        OrtSetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)slots[25];
        OrtSessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)slots[30];
        OrtSessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)slots[31];
        OrtSessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)slots[33];
        OrtSessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)slots[34];
        OrtSessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)slots[36];
        OrtSessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)slots[37];
        OrtCreateRunOptions = (delegate* unmanaged<nint*, nint>)slots[39];
        OrtRunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)slots[46];
        OrtCreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)slots[49];
        OrtGetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)slots[51];
        OrtCastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)slots[55];
        OrtGetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, int*, nint>)slots[56];
        OrtGetTensorElementType = (delegate* unmanaged<nint, int*, nint>)slots[60];
        OrtGetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)slots[61];
        OrtGetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)slots[62];
        OrtGetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)slots[63];
        OrtGetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)slots[65];
        OrtCreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)slots[69];
        OrtAllocatorFree = (delegate* unmanaged<nint, void*, nint>)slots[76];
        OrtGetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)slots[78];
        OrtReleaseEnv = (delegate* unmanaged<nint, void>)slots[92];
        OrtReleaseStatus = (delegate* unmanaged<nint, void>)slots[93];
        OrtReleaseMemoryInfo = (delegate* unmanaged<nint, void>)slots[94];
        OrtReleaseSession = (delegate* unmanaged<nint, void>)slots[95];
        OrtReleaseValue = (delegate* unmanaged<nint, void>)slots[96];
        OrtReleaseRunOptions = (delegate* unmanaged<nint, void>)slots[97];
        OrtReleaseTypeInfo = (delegate* unmanaged<nint, void>)slots[98];
        OrtReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)slots[99];
        OrtReleaseSessionOptions = (delegate* unmanaged<nint, void>)slots[100];
        OrtSessionGetModelMetadata = (delegate* unmanaged<nint, nint*, nint>)slots[111];
        OrtModelMetadataGetProducerName = (delegate* unmanaged<nint, nint, byte**, nint>)slots[112];
        OrtModelMetadataGetGraphName = (delegate* unmanaged<nint, nint, byte**, nint>)slots[113];
        OrtModelMetadataGetDescription = (delegate* unmanaged<nint, nint, byte**, nint>)slots[115];
        OrtModelMetadataLookupCustomMetadataMap = (delegate* unmanaged<nint, nint, byte*, byte**, nint>)slots[116];
        OrtModelMetadataGetVersion = (delegate* unmanaged<nint, long*, nint>)slots[117];
        OrtReleaseModelMetadata = (delegate* unmanaged<nint, void>)slots[118];
        OrtModelMetadataGetCustomMetadataMapKeys = (delegate* unmanaged<nint, nint, byte***, long*, nint>)slots[123];
        OrtGetAvailableProviders = (delegate* unmanaged<byte***, int*, nint>)slots[125];
        OrtReleaseAvailableProviders = (delegate* unmanaged<byte**, int, nint>)slots[126];
        OrtAddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)slots[130];
        OrtSessionOptionsAppendExecutionProvider_CUDA_V2 = (delegate* unmanaged<nint, nint, nint>)slots[204];
        OrtCreateCUDAProviderOptions = (delegate* unmanaged<nint*, nint>)slots[205];
        OrtUpdateCUDAProviderOptions = (delegate* unmanaged<nint, byte**, byte**, nuint, nint>)slots[206];
        OrtReleaseCUDAProviderOptions = (delegate* unmanaged<nint, void>)slots[208];
        OrtGetBuildInfoString = (delegate* unmanaged<byte*>)slots[254];

        nint allocator;
        Check(OrtGetAllocatorWithDefaultOptions(&allocator));
        defaultAllocator = allocator;
    }

    // ---------------------------------------------------------------- status

    /// <summary>Throws for a non-null status; the status is released whatever happens.</summary>
    internal static void Check(nint status, string? context = null)
    {
        if (status != 0)
        {
            throw ToException(status, context);
        }
    }

    private static OnnxRuntimeException ToException(nint status, string? context)
    {
        try
        {
            var code = (OrtErrorCode)OrtGetErrorCode(status);
            var message = Marshal.PtrToStringUTF8((nint)OrtGetErrorMessage(status)) ?? string.Empty;
            return new OnnxRuntimeException(code, message, context);
        }
        finally
        {
            OrtReleaseStatus(status);
        }
    }

    // ---------------------------------------------------------------- environment, library

    internal static nint CreateEnvWithCustomLogger(nint loggingFunction, OrtLoggingLevel level, string logId)
    {
        nint env;
        fixed (byte* id = Utf8(logId))
        {
            Check(OrtCreateEnvWithCustomLogger(loggingFunction, 0, (int)level, id, &env), "creating the environment");
        }

        return env;
    }

    internal static string GetBuildInfoString() => Marshal.PtrToStringUTF8((nint)OrtGetBuildInfoString()) ?? string.Empty;

    internal static string[] GetAvailableProviders()
    {
        byte** names;
        int count;
        Check(OrtGetAvailableProviders(&names, &count));
        try
        {
            var result = new string[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = Marshal.PtrToStringUTF8((nint)names[i]) ?? string.Empty;
            }

            return result;
        }
        finally
        {
            Check(OrtReleaseAvailableProviders(names, count));
        }
    }

    internal static nint CreateCpuMemoryInfo()
    {
        const int arenaAllocator = 1;
        const int memTypeDefault = 0;
        nint info;
        Check(OrtCreateCpuMemoryInfo(arenaAllocator, memTypeDefault, &info));
        return info;
    }

    // ---------------------------------------------------------------- session options

    internal static nint CreateSessionOptions()
    {
        nint options;
        Check(OrtCreateSessionOptions(&options));
        return options;
    }

    internal static void SetSessionLogId(SafeHandleLease options, string logId)
    {
        fixed (byte* id = Utf8(logId))
        {
            Check(OrtSetSessionLogId(options.Pointer, id));
        }
    }

    internal static void SetSessionGraphOptimizationLevel(SafeHandleLease options, GraphOptimizationLevel level) =>
        Check(OrtSetSessionGraphOptimizationLevel(options.Pointer, (int)level));

    internal static void SetIntraOpNumThreads(SafeHandleLease options, int threads) =>
        Check(OrtSetIntraOpNumThreads(options.Pointer, threads));

    internal static void SetInterOpNumThreads(SafeHandleLease options, int threads) =>
        Check(OrtSetInterOpNumThreads(options.Pointer, threads));

    internal static void AddSessionConfigEntry(SafeHandleLease options, string key, string value)
    {
        fixed (byte* k = Utf8(key))
        fixed (byte* v = Utf8(value))
        {
            Check(OrtAddSessionConfigEntry(options.Pointer, k, v), $"setting session option '{key}'");
        }
    }

    internal static nint CreateCudaProviderOptions()
    {
        nint options;
        Check(OrtCreateCUDAProviderOptions(&options), "creating CUDA provider options");
        return options;
    }

    internal static void UpdateCudaProviderOptions(SafeHandleLease cudaOptions, IReadOnlyList<KeyValuePair<string, string>> entries)
    {
        using var keys = new Utf8StringArray(entries.Select(e => e.Key));
        using var values = new Utf8StringArray(entries.Select(e => e.Value));
        Check(OrtUpdateCUDAProviderOptions(cudaOptions.Pointer, keys.Pointers, values.Pointers, (nuint)entries.Count), "setting CUDA provider options");
    }

    internal static void AppendExecutionProviderCudaV2(SafeHandleLease options, SafeHandleLease cudaOptions) =>
        Check(OrtSessionOptionsAppendExecutionProvider_CUDA_V2(options.Pointer, cudaOptions.Pointer), "appending the CUDA execution provider");

    // ---------------------------------------------------------------- session

    internal static nint CreateSession(nint env, string modelPath, SafeHandleLease options)
    {
        nint session;
        var context = $"loading model '{modelPath}'";

        // ORTCHAR_T is wchar_t (UTF-16) on Windows and char (UTF-8) everywhere else.
        if (OperatingSystem.IsWindows())
        {
            fixed (char* path = modelPath)
            {
                Check(OrtCreateSession(env, path, options.Pointer, &session), context);
            }
        }
        else
        {
            fixed (byte* path = Utf8(modelPath))
            {
                Check(OrtCreateSession(env, path, options.Pointer, &session), context);
            }
        }

        return session;
    }

    internal static int SessionGetInputCount(SafeHandleLease session)
    {
        nuint count;
        Check(OrtSessionGetInputCount(session.Pointer, &count));
        return checked((int)count);
    }

    internal static int SessionGetOutputCount(SafeHandleLease session)
    {
        nuint count;
        Check(OrtSessionGetOutputCount(session.Pointer, &count));
        return checked((int)count);
    }

    internal static string SessionGetInputName(SafeHandleLease session, int index)
    {
        byte* name;
        Check(OrtSessionGetInputName(session.Pointer, (nuint)index, defaultAllocator, &name));
        return TakeAllocatorString(name) ?? string.Empty;
    }

    internal static string SessionGetOutputName(SafeHandleLease session, int index)
    {
        byte* name;
        Check(OrtSessionGetOutputName(session.Pointer, (nuint)index, defaultAllocator, &name));
        return TakeAllocatorString(name) ?? string.Empty;
    }

    internal static nint SessionGetInputTypeInfo(SafeHandleLease session, int index)
    {
        nint info;
        Check(OrtSessionGetInputTypeInfo(session.Pointer, (nuint)index, &info));
        return info;
    }

    internal static nint SessionGetOutputTypeInfo(SafeHandleLease session, int index)
    {
        nint info;
        Check(OrtSessionGetOutputTypeInfo(session.Pointer, (nuint)index, &info));
        return info;
    }

    internal static OnnxValueKind GetOnnxTypeFromTypeInfo(SafeHandleLease typeInfo)
    {
        int kind;
        Check(OrtGetOnnxTypeFromTypeInfo(typeInfo.Pointer, &kind));
        return (OnnxValueKind)kind;
    }

    /// <summary>The tensor info belongs to its type info: valid while that lease lasts, never released itself.</summary>
    internal static nint CastTypeInfoToTensorInfo(SafeHandleLease typeInfo)
    {
        nint tensorInfo;
        Check(OrtCastTypeInfoToTensorInfo(typeInfo.Pointer, &tensorInfo));
        return tensorInfo;
    }

    /// <summary>Element type and shape of a tensor type-and-shape info (borrowed or owned).</summary>
    internal static (TensorElementType ElementType, TensorDimension[] Dimensions) ReadTensorTypeAndShape(nint tensorInfo)
    {
        int elementType;
        Check(OrtGetTensorElementType(tensorInfo, &elementType));
        nuint rank;
        Check(OrtGetDimensionsCount(tensorInfo, &rank));
        var values = new long[(int)rank];
        var symbols = new nint[(int)rank];
        fixed (long* v = values)
        fixed (nint* s = symbols)
        {
            Check(OrtGetDimensions(tensorInfo, v, rank));
            Check(OrtGetSymbolicDimensions(tensorInfo, (byte**)s, rank));
        }

        var dimensions = new TensorDimension[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            // Symbolic names belong to the info; an empty one means "dynamic, unnamed".
            var symbol = symbols[i] == 0 ? null : Marshal.PtrToStringUTF8(symbols[i]);
            dimensions[i] = new TensorDimension(values[i], string.IsNullOrEmpty(symbol) ? null : symbol);
        }

        return ((TensorElementType)elementType, dimensions);
    }

    // ---------------------------------------------------------------- model metadata

    internal static nint SessionGetModelMetadata(SafeHandleLease session)
    {
        nint metadata;
        Check(OrtSessionGetModelMetadata(session.Pointer, &metadata));
        return metadata;
    }

    internal static string ModelMetadataGetProducerName(SafeHandleLease metadata)
    {
        byte* value;
        Check(OrtModelMetadataGetProducerName(metadata.Pointer, defaultAllocator, &value));
        return TakeAllocatorString(value) ?? string.Empty;
    }

    internal static string ModelMetadataGetGraphName(SafeHandleLease metadata)
    {
        byte* value;
        Check(OrtModelMetadataGetGraphName(metadata.Pointer, defaultAllocator, &value));
        return TakeAllocatorString(value) ?? string.Empty;
    }

    internal static string ModelMetadataGetDescription(SafeHandleLease metadata)
    {
        byte* value;
        Check(OrtModelMetadataGetDescription(metadata.Pointer, defaultAllocator, &value));
        return TakeAllocatorString(value) ?? string.Empty;
    }

    internal static long ModelMetadataGetVersion(SafeHandleLease metadata)
    {
        long version;
        Check(OrtModelMetadataGetVersion(metadata.Pointer, &version));
        return version;
    }

    internal static Dictionary<string, string> ModelMetadataGetCustomMetadata(SafeHandleLease metadata)
    {
        byte** keys;
        long count;
        Check(OrtModelMetadataGetCustomMetadataMapKeys(metadata.Pointer, defaultAllocator, &keys, &count));
        var result = new Dictionary<string, string>((int)count, StringComparer.Ordinal);
        if (keys == null)
        {
            return result;
        }

        try
        {
            for (var i = 0; i < count; i++)
            {
                var key = Marshal.PtrToStringUTF8((nint)keys[i]) ?? string.Empty;
                byte* value;
                Check(OrtModelMetadataLookupCustomMetadataMap(metadata.Pointer, defaultAllocator, keys[i], &value));
                result[key] = TakeAllocatorString(value) ?? string.Empty;
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                Check(OrtAllocatorFree(defaultAllocator, keys[i]));
            }

            Check(OrtAllocatorFree(defaultAllocator, keys));
        }

        return result;
    }

    // ---------------------------------------------------------------- run

    internal static nint CreateRunOptions()
    {
        nint options;
        Check(OrtCreateRunOptions(&options));
        return options;
    }

    internal static void RunOptionsSetTerminate(SafeHandleLease runOptions) => Check(OrtRunOptionsSetTerminate(runOptions.Pointer));

    internal static nint CreateTensorWithDataAsOrtValue(nint memoryInfo, void* data, nuint byteLength, ReadOnlySpan<long> shape, TensorElementType type)
    {
        nint value;
        fixed (long* dims = shape)
        {
            Check(OrtCreateTensorWithDataAsOrtValue(memoryInfo, data, byteLength, dims, (nuint)shape.Length, (int)type, &value));
        }

        return value;
    }

    /// <summary>
    /// Runs the session. <paramref name="outputs"/> must be zeroed: a null slot asks ORT to allocate the output,
    /// and the caller releases whatever ORT put there, failure or not.
    /// </summary>
    internal static void Run(
        SafeHandleLease session, nint runOptions, byte** inputNames, nint* inputs, int inputCount, byte** outputNames, nint* outputs, int outputCount) =>
        Check(OrtRun(session.Pointer, runOptions, inputNames, inputs, (nuint)inputCount, outputNames, (nuint)outputCount, outputs));

    internal static nint GetTensorTypeAndShape(nint value)
    {
        nint info;
        Check(OrtGetTensorTypeAndShape(value, &info));
        return info;
    }

    internal static void* GetTensorMutableData(nint value)
    {
        void* data;
        Check(OrtGetTensorMutableData(value, &data));
        return data;
    }

    // ---------------------------------------------------------------- release (each owned by one SafeHandle type)

    internal static void ReleaseEnv(nint handle) => OrtReleaseEnv(handle);

    internal static void ReleaseMemoryInfo(nint handle) => OrtReleaseMemoryInfo(handle);

    internal static void ReleaseSession(nint handle) => OrtReleaseSession(handle);

    internal static void ReleaseValue(nint handle) => OrtReleaseValue(handle);

    internal static void ReleaseRunOptions(nint handle) => OrtReleaseRunOptions(handle);

    internal static void ReleaseTypeInfo(nint handle) => OrtReleaseTypeInfo(handle);

    internal static void ReleaseTensorTypeAndShapeInfo(nint handle) => OrtReleaseTensorTypeAndShapeInfo(handle);

    internal static void ReleaseSessionOptions(nint handle) => OrtReleaseSessionOptions(handle);

    internal static void ReleaseModelMetadata(nint handle) => OrtReleaseModelMetadata(handle);

    internal static void ReleaseCudaProviderOptions(nint handle) => OrtReleaseCUDAProviderOptions(handle);

    // ---------------------------------------------------------------- strings

    internal static byte[] Utf8(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>Copies a string ORT allocated with the default allocator, then frees it.</summary>
    private static string? TakeAllocatorString(byte* value)
    {
        if (value == null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)value);
        }
        finally
        {
            Check(OrtAllocatorFree(defaultAllocator, value));
        }
    }
}
