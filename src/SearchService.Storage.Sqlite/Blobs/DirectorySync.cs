using System.Runtime.InteropServices;

namespace SearchService.Storage.Sqlite.Blobs;

/// <summary>
/// Makes a rename durable. On POSIX file systems a new directory entry reaches the disk only when the directory
/// itself is synced; without it a power cut after the catalog commit could lose the blob's name.
/// </summary>
internal static partial class DirectorySync
{
    private const int OpenReadOnly = 0;
    private const int InvalidArgument = 22;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            // NTFS journals the rename itself, and Windows has no directory handle to flush.
            return;
        }

        var descriptor = Open(directory, OpenReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open the folder {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            // EINVAL: this file system cannot sync a directory (some network and FUSE mounts); nothing more to do there.
            if (Fsync(descriptor) != 0 && Marshal.GetLastPInvokeError() is var error && error != InvalidArgument)
            {
                throw new IOException($"Syncing the folder {directory} failed (errno {error}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
