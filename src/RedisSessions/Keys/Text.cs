namespace RedisSessions.Keys;

/// <summary>Checks on the strings RedisSessions stores.</summary>
internal static class Text
{
    /// <summary>Throws an <see cref="ArgumentException"/> when <paramref name="value"/> holds a lone surrogate: Redis
    /// stores UTF-8, where it would become U+FFFD, so what is read back would not be what was written.</summary>
    public static void ThrowIfInvalidUtf16(string value, string parameterName, string what)
    {
        var index = InvalidUtf16At(value);
        if (index >= 0)
        {
            throw new ArgumentException($"The {what} is not valid UTF-16: a lone surrogate (U+{(int)value[index]:X4}) at index {index}.", parameterName);
        }
    }

    /// <summary>The index of the first lone surrogate, or -1.</summary>
    public static int InvalidUtf16At(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    i++;
                    continue;
                }
                return i;
            }
            if (char.IsLowSurrogate(c))
            {
                return i;
            }
        }
        return -1;
    }
}
