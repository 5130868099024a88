using System.Buffers.Text;
using System.Security.Cryptography;

namespace RedisSessions.Keys;

/// <summary>
/// Session ids: the user's tag (3 hex digits) followed by 22 base64url characters of 16 bytes from the operating
/// system's CSPRNG — 25 URL-safe characters, 128 bits of them secret. Anything else can't name a session: it is
/// rejected before a key is built from it.
/// </summary>
internal static class SessionIds
{
    public const int Length = 3 + 22;

    [ThreadStatic]
    private static RandomPool? t_random;

    public static string New(string tag)
    {
        // 16 bytes of a per-thread block filled from the OS CSPRNG 4 KiB at a time: one RandomNumberGenerator call per
        // 256 ids instead of one per id.
        var pool = t_random ??= new RandomPool();
        Span<byte> random = stackalloc byte[16];
        pool.Take(random);
        return string.Concat(tag, Base64Url.EncodeToString(random));
    }

    /// <summary>True when <paramref name="sessionId"/> has the shape of an id this library issues; its tag comes out.</summary>
    public static bool TryParse(string? sessionId, out string tag)
    {
        tag = string.Empty;
        if (sessionId is null || sessionId.Length != Length || !Tags.IsTag(sessionId.AsSpan(0, 3)))
        {
            return false;
        }
        for (var i = 3; i < sessionId.Length; i++)
        {
            var c = sessionId[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }
        tag = Tags.Canonical(sessionId.AsSpan(0, 3));
        return true;
    }

    private sealed class RandomPool
    {
        private readonly byte[] _block = new byte[4096];
        private int _used = 4096;

        public void Take(Span<byte> destination)
        {
            if (_used + destination.Length > _block.Length)
            {
                RandomNumberGenerator.Fill(_block);
                _used = 0;
            }
            _block.AsSpan(_used, destination.Length).CopyTo(destination);
            // Never hand the same bytes out twice, even if something later read the block.
            _block.AsSpan(_used, destination.Length).Clear();
            _used += destination.Length;
        }
    }
}
