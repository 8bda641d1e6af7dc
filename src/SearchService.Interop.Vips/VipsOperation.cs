using System.Runtime.InteropServices;
using SearchService.Interop.Vips.Native;

namespace SearchService.Interop.Vips;

/// <summary>
/// One libvips operation called by name, the way libvips's own language bindings do it: create it, set its input
/// properties through GValues typed from the operation's own argument table, build it, read the outputs. No C
/// varargs anywhere, so doubles and enums arrive intact on every ABI.
/// </summary>
/// <example><code>
/// using var reduce = VipsOperation.Create("reduceh");
/// reduce.Set("in", image).Set("hshrink", 2.5).SetEnum("kernel", "cubic");
/// using var smaller = reduce.Build().GetImage("out");
/// </code></example>
public sealed unsafe class VipsOperation : IDisposable
{
    private readonly string nickname;
    private GObjectHandle handle;
    private bool built;

    private VipsOperation(string nickname, GObjectHandle handle)
    {
        this.nickname = nickname;
        this.handle = handle;
    }

    public static VipsOperation Create(string nickname)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nickname);
        VipsRuntime.EnsureInitialized();
        var pointer = VipsNative.vips_operation_new(nickname);
        return pointer == 0
            ? throw VipsErrors.Take($"libvips has no operation '{nickname}'")
            : new VipsOperation(nickname, GObjectHandle.Own(pointer));
    }

    /// <summary>Creates, configures and builds an operation, and returns its <c>out</c> image.</summary>
    /// <param name="nickname">Operation name, e.g. <c>reduceh</c>.</param>
    /// <param name="input">The image argument.</param>
    /// <param name="configure">Sets the other arguments.</param>
    /// <param name="inputName">Name of the image argument: <c>in</c> for most operations, <c>input</c> for some (extract_area).</param>
    public static VipsImage Call(string nickname, VipsImage input, Action<VipsOperation>? configure = null, string inputName = "in")
    {
        using var operation = Create(nickname);
        operation.Set(inputName, input);
        configure?.Invoke(operation);
        return operation.Build().GetImage("out");
    }

    /// <summary>Sets an integer argument (or a floating-point one to this whole number).</summary>
    public VipsOperation Set(string name, int value)
    {
        var type = ArgumentType(name);
        var fundamental = GObjectNative.g_type_fundamental(type);
        if (fundamental == GTypes.Double)
        {
            return Set(name, (double)value);
        }

        return fundamental == GTypes.Int
            ? SetValue(name, type, gvalue => GObjectNative.g_value_set_int(gvalue, value))
            : throw WrongType(name, "an integer", type);
    }

    public VipsOperation Set(string name, double value)
    {
        var type = ArgumentType(name);
        return GObjectNative.g_type_fundamental(type) == GTypes.Double
            ? SetValue(name, type, gvalue => GObjectNative.g_value_set_double(gvalue, value))
            : throw WrongType(name, "a number", type);
    }

    public VipsOperation Set(string name, bool value)
    {
        var type = ArgumentType(name);
        return GObjectNative.g_type_fundamental(type) == GTypes.Boolean
            ? SetValue(name, type, gvalue => GObjectNative.g_value_set_boolean(gvalue, value ? 1 : 0))
            : throw WrongType(name, "a boolean", type);
    }

    public VipsOperation Set(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var type = ArgumentType(name);
        return GObjectNative.g_type_fundamental(type) == GTypes.String
            ? SetValue(name, type, gvalue => GObjectNative.g_value_set_string(gvalue, value))
            : throw WrongType(name, "a string", type);
    }

    /// <summary>Sets an enum argument by its libvips nickname, e.g. <c>kernel</c> = <c>cubic</c>.</summary>
    public VipsOperation SetEnum(string name, string nick)
    {
        ArgumentNullException.ThrowIfNull(nick);
        var type = ArgumentType(name);
        if (GObjectNative.g_type_fundamental(type) != GTypes.Enum)
        {
            throw WrongType(name, "an enum", type);
        }

        var number = VipsNative.vips_enum_from_nick(nickname, type, nick);
        return number < 0
            ? throw VipsErrors.Take($"{nickname}: '{nick}' is not a value of {name}")
            : SetValue(name, type, gvalue => GObjectNative.g_value_set_enum(gvalue, number));
    }

    public VipsOperation Set(string name, VipsImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var type = ArgumentType(name);
        return type == VipsNative.vips_image_get_type()
            ? SetValue(name, type, gvalue => GObjectNative.g_value_set_object(gvalue, image.Handle))
            : throw WrongType(name, "an image", type);
    }

    /// <summary>Sets an array-of-numbers argument (e.g. <c>linear</c>'s <c>a</c> and <c>b</c>, one value per band or one for all).</summary>
    public VipsOperation Set(string name, ReadOnlySpan<double> values)
    {
        var type = ArgumentType(name);
        if (type != VipsNative.vips_array_double_get_type())
        {
            throw WrongType(name, "an array of numbers", type);
        }

        nint array;
        fixed (double* numbers = values)
        {
            array = VipsNative.vips_array_double_new(numbers, values.Length);
        }

        try
        {
            return SetValue(name, type, gvalue => GObjectNative.g_value_set_boxed(gvalue, array));
        }
        finally
        {
            VipsNative.vips_area_unref(array);
        }
    }

    /// <summary>
    /// Sets a blob argument (a loader's <c>buffer</c>) to a copy of <paramref name="data"/> that libvips owns, so no
    /// managed memory has to stay pinned while lazy images still read from it.
    /// </summary>
    public VipsOperation Set(string name, ReadOnlySpan<byte> data)
    {
        var type = ArgumentType(name);
        if (type != VipsNative.vips_blob_get_type())
        {
            throw WrongType(name, "a byte buffer", type);
        }

        nint blob;
        fixed (byte* bytes = data)
        {
            blob = VipsNative.vips_blob_copy(bytes, (nuint)data.Length);
        }

        try
        {
            return SetValue(name, type, gvalue => GObjectNative.g_value_set_boxed(gvalue, blob));
        }
        finally
        {
            // The GValue took its own reference; the operation keeps the blob alive from here.
            VipsNative.vips_area_unref(blob);
        }
    }

    /// <summary>Runs the operation (through libvips's cache call, which is a no-op with the cache off).</summary>
    public VipsOperation Build()
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        if (built)
        {
            throw new InvalidOperationException($"{nickname} was already built.");
        }

        var result = VipsNative.vips_cache_operation_build(handle);
        if (result == 0)
        {
            var error = VipsErrors.Take($"{nickname} failed");
            VipsNative.vips_object_unref_outputs(handle);
            throw error;
        }

        // The build returns a (possibly different) operation with a reference of its own.
        handle.Dispose();
        handle = GObjectHandle.Own(result);
        built = true;
        return this;
    }

    /// <summary>An output image; the caller owns (and disposes) the returned reference.</summary>
    public VipsImage GetImage(string name)
    {
        var type = RequireBuiltOutput(name);
        var value = default(GValue);
        GObjectNative.g_value_init(&value, type);
        try
        {
            GObjectNative.g_object_get_property(handle, name, &value);
            var image = GObjectNative.g_value_get_object(&value);
            return image == 0
                ? throw new VipsException($"{nickname} produced no '{name}'")
                : new VipsImage(GObjectHandle.Borrow(image));
        }
        finally
        {
            GObjectNative.g_value_unset(&value);
        }
    }

    /// <summary>An output byte buffer (a saver's <c>buffer</c>), copied into managed memory.</summary>
    public byte[] GetBuffer(string name)
    {
        var type = RequireBuiltOutput(name);
        var value = default(GValue);
        GObjectNative.g_value_init(&value, type);
        try
        {
            GObjectNative.g_object_get_property(handle, name, &value);
            var blob = GObjectNative.g_value_get_boxed(&value);
            if (blob == 0)
            {
                throw new VipsException($"{nickname} produced no '{name}'");
            }

            nuint length = 0;
            var data = VipsNative.vips_blob_get(blob, &length);
            return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
        }
        finally
        {
            GObjectNative.g_value_unset(&value);
        }
    }

    /// <summary>Drops the operation's references to its outputs (ours stay valid), then the operation itself.</summary>
    public void Dispose()
    {
        if (handle.IsClosed)
        {
            return;
        }

        if (built)
        {
            VipsNative.vips_object_unref_outputs(handle);
        }

        handle.Dispose();
    }

    private VipsOperation SetValue(string name, nuint type, GValueAssignment assign)
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        var value = default(GValue);
        GObjectNative.g_value_init(&value, type);
        try
        {
            assign(&value);
            GObjectNative.g_object_set_property(handle, name, &value);
        }
        finally
        {
            GObjectNative.g_value_unset(&value);
        }

        return this;
    }

    private delegate void GValueAssignment(GValue* value);

    /// <summary>The GType of an argument, from the operation's own table (so a typo is an error, not a GLib warning).</summary>
    private nuint ArgumentType(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        nint paramSpec = 0, argumentClass = 0, argumentInstance = 0;
        if (VipsNative.vips_object_get_argument(handle, name, &paramSpec, &argumentClass, &argumentInstance) != 0)
        {
            throw VipsErrors.Take($"{nickname} has no argument '{name}'");
        }

        // GParamSpec { GTypeInstance; const char* name; GParamFlags flags; GType value_type; ... }
        return *(nuint*)(paramSpec + (3 * sizeof(nint)));
    }

    private nuint RequireBuiltOutput(string name)
    {
        if (!built)
        {
            throw new InvalidOperationException($"{nickname} must be built before its outputs are read.");
        }

        return ArgumentType(name);
    }

    private ArgumentException WrongType(string name, string given, nuint type) =>
        new($"{nickname}: argument '{name}' is a {Marshal.PtrToStringUTF8(GObjectNative.g_type_name(type))}, not {given}.", name);
}
