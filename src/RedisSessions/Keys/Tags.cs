using System.Globalization;
using System.Text;

namespace RedisSessions.Keys;

/// <summary>
/// The hash tags that group a user's keys: 1,024 of them, written as three lowercase hex digits (<c>{1a3}</c>). Every
/// key one operation touches carries its user's tag, so it lives in one hash slot and the same scripts run on Redis
/// Cluster. A session id starts with its user's tag, so a read by id needs no lookup. 1,024 tags spread evenly over
/// any number of primaries and stay few enough for a sweep to visit each of them.
/// </summary>
internal static class Tags
{
    public const int Count = 1024;

    private static readonly string[] Names = Enumerable.Range(0, Count).Select(i => i.ToString("x3", CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Every tag, in order.</summary>
    public static IReadOnlyList<string> All => Names;

    /// <summary>The user's tag: FNV-1a (64-bit) of the id's UTF-8 bytes, finished with MurmurHash3's fmix64 so every
    /// bit of it mixes into the low 10. Stable across processes, machines and versions (it is part of every key of
    /// the user); not a defence against anyone choosing user ids to crowd one tag, which would cost them nothing but
    /// a busier tag.</summary>
    public static string Of(string userId)
    {
        var max = Encoding.UTF8.GetMaxByteCount(userId.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(userId, bytes);
        var hash = 14695981039346656037UL;
        foreach (var b in bytes[..length])
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return Names[(int)(hash % Count)];
    }

    /// <summary>True when <paramref name="text"/> is a tag's name (three lowercase hex digits below 400).</summary>
    public static bool IsTag(ReadOnlySpan<char> text) =>
        text.Length == 3 && char.IsAsciiHexDigitLower(text[0]) && char.IsAsciiHexDigitLower(text[1]) && char.IsAsciiHexDigitLower(text[2])
        && int.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture) < Count;

    /// <summary>The canonical (interned) instance of a tag's name.</summary>
    public static string Canonical(ReadOnlySpan<char> tag) => Names[int.Parse(tag, NumberStyles.HexNumber, CultureInfo.InvariantCulture)];
}
