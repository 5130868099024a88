using StackExchange.Redis;

namespace RedisSessions.Scripts;

/// <summary>
/// Reads what a script returned, the same under RESP2 and RESP3 (StackExchange.Redis 3.x speaks RESP3 by default: a
/// nested reply may then come as a map or a set rather than an array, and Lua integers stay integers either way).
/// </summary>
internal readonly struct ScriptReply
{
    private readonly RedisResult[] _items;

    public ScriptReply(RedisResult result) => _items = Flatten(result);

    public int Count => _items.Length;

    public RedisResult this[int index] => _items[index];

    /// <summary>The first item as text: the status word of the scripts that answer one.</summary>
    public string Status => _items.Length > 0 ? (string?)_items[0] ?? string.Empty : string.Empty;

    public string Text(int index) => (string?)_items[index] ?? string.Empty;

    public long Long(int index) => (long)_items[index];

    /// <summary>The item at <paramref name="index"/> as a flat list of field, value pairs (an HGETALL inside Lua).</summary>
    public RedisValue[] Fields(int index) => FieldsOf(_items[index]);

    public static RedisValue[] FieldsOf(RedisResult result)
    {
        var items = Flatten(result);
        var fields = new RedisValue[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            fields[i] = (RedisValue)items[i];
        }
        return fields;
    }

    private static RedisResult[] Flatten(RedisResult result)
    {
        if (result.IsNull)
        {
            return [];
        }
        if (result.Resp3Type == ResultType.Map)
        {
            // a map's entries as alternating key, value items
            var map = result.ToDictionary();
            var flat = new RedisResult[map.Count * 2];
            var i = 0;
            foreach (var (key, value) in map)
            {
                flat[i++] = RedisResult.Create((RedisValue)key);
                flat[i++] = value;
            }
            return flat;
        }
        return (RedisResult[]?)result ?? [];
    }
}
