using Microsoft.Extensions.Logging;
using SearchService.Interop.OnnxRuntime;

namespace SearchService.Inference.Onnx;

/// <summary>CUDA was required (<c>Inference:RequireCuda</c>) but cannot be used.</summary>
public sealed class CudaUnavailableException(int deviceId, OnnxRuntimeException reason)
    : Exception($"Inference:RequireCuda is set but CUDA device {deviceId} cannot be used: {reason.NativeMessage}", reason);

/// <summary>
/// Builds sessions from <see cref="InferenceOptions"/>. The execution provider is settled by the first session:
/// when CUDA cannot be appended the factory warns once and every session runs on CPU (or, with RequireCuda, throws).
/// </summary>
internal sealed class OnnxSessionFactory(OrtRuntime runtime, InferenceOptions options, ILogger logger)
{
    private readonly Lock gate = new();
    private bool? useCuda;

    /// <summary><c>cpu</c> or <c>cuda:N</c>; known once a session exists.</summary>
    public string ExecutionProvider => useCuda == true ? $"cuda:{options.DeviceId}" : "cpu";

    public OrtRuntime Runtime => runtime;

    public InferenceSession Create(string modelPath, string logId)
    {
        using var sessionOptions = runtime.CreateSessionOptions()
            .SetIntraOpThreads(options.IntraOpThreads)
            .SetInterOpThreads(options.InterOpThreads)
            .SetGraphOptimizationLevel(options.GraphOptimizationLevel)
            .SetLogId(logId)
            .AddConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0")
            .AddConfigEntry("session.inter_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        AppendExecutionProvider(sessionOptions);
        return runtime.CreateSession(modelPath, sessionOptions);
    }

    private void AppendExecutionProvider(SessionOptions sessionOptions)
    {
        if (options.ExecutionProvider != ExecutionProviderKind.Cuda)
        {
            useCuda = false;
            return;
        }

        lock (gate)
        {
            if (useCuda == false)
            {
                return;
            }

            try
            {
                sessionOptions.AppendCudaExecutionProvider(options.DeviceId);
                useCuda = true;
            }
            catch (OnnxRuntimeException error) when (!options.RequireCuda)
            {
                useCuda = false;
                InferenceLog.CudaUnavailable(logger, options.DeviceId, error.NativeMessage);
            }
            catch (OnnxRuntimeException error)
            {
                throw new CudaUnavailableException(options.DeviceId, error);
            }
        }
    }
}
