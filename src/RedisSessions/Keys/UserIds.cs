using System.Security.Cryptography;
using System.Text;

namespace RedisSessions.Keys;

/// <summary>
/// User ids as keys see them. A plain id (printable ASCII other than space, <c>%</c> and <c>#</c>) is written as it
/// is, so <c>redis-cli</c> shows <c>rs:{1a3}:user:alice@example.com</c>. Any other character is
/// percent-escaped as UTF-8 (<c>%20</c>), and an id whose escaped form is longer than 200 characters becomes <c>#</c>
/// and its SHA-256. Raw <c>%</c> and <c>#</c> are always escaped, so no two user ids share a key.
/// </summary>
internal static class UserIds
{
    /// <summary>Longest user id accepted, in UTF-8 bytes.</summary>
    public const int MaxBytes = 1024;

    private const int MaxPlainLength = 200;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the problem when <paramref name="userId"/> can't be a
    /// user id: null, empty or white space, not valid UTF-16 (a lone surrogate would be stored as U+FFFD and two users
    /// would share sessions), or longer than <see cref="MaxBytes"/> UTF-8 bytes.</summary>
    public static void Validate(string? userId, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId, parameterName);
        Text.ThrowIfInvalidUtf16(userId, parameterName, "user id");
        var bytes = Encoding.UTF8.GetByteCount(userId);
        if (bytes > MaxBytes)
        {
            throw new ArgumentException($"The user id is {bytes} UTF-8 bytes long; at most {MaxBytes} are accepted.", parameterName);
        }
    }

    /// <summary>The user's part of its key names and its member in the tag's due index.</summary>
    public static string Member(string userId)
    {
        var plain = userId.Length <= MaxPlainLength;
        foreach (var c in userId)
        {
            if (!IsPlain(c))
            {
                plain = false;
                break;
            }
        }
        if (plain)
        {
            return userId;
        }
        var escaped = new StringBuilder(userId.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < userId.Length; i++)
        {
            var c = userId[i];
            if (IsPlain(c))
            {
                escaped.Append(c);
                continue;
            }
            var width = char.IsHighSurrogate(c) && i + 1 < userId.Length ? 2 : 1;
            var count = Encoding.UTF8.GetBytes(userId.AsSpan(i, width), utf8);
            i += width - 1;
            foreach (var b in utf8[..count])
            {
                escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            if (escaped.Length > MaxPlainLength)
            {
                break;
            }
        }
        return escaped.Length <= MaxPlainLength
            ? escaped.ToString()
            : "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)));
    }

    private static bool IsPlain(char c) => c is > ' ' and < (char)0x7F and not '%' and not '#';
}
