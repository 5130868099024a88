namespace RedisSessions.Cli.Output;

/// <summary>A plain text table for people: a header row, columns padded to their widest cell, two spaces between
/// columns, no trailing padding. Cells are escaped (<see cref="Text.Safe"/>) so stored data can't drive the terminal.</summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    public Table(params string[] headers)
    {
        _headers = headers;
        _rightAligned = new bool[headers.Length];
    }

    public int Count => _rows.Count;

    /// <summary>Right-aligns the columns at <paramref name="columns"/> (numbers).</summary>
    public Table AlignRight(params int[] columns)
    {
        foreach (var column in columns)
        {
            _rightAligned[column] = true;
        }
        return this;
    }

    public void Add(params string?[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"A row has {cells.Length} cells; the table has {_headers.Length} columns.", nameof(cells));
        }
        _rows.Add(cells.Select(c => Text.Safe(c ?? string.Empty)).ToArray());
    }

    public void Write(TextWriter writer)
    {
        var widths = new int[_headers.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            widths[i] = Math.Max(_headers[i].Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length));
        }
        WriteRow(writer, _headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(writer, row, widths);
        }
    }

    private void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var parts = new string[cells.Length];
        for (var i = 0; i < cells.Length; i++)
        {
            var last = i == cells.Length - 1;
            parts[i] = _rightAligned[i] ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]);
        }
        writer.WriteLine(string.Join("  ", parts).TrimEnd());
    }
}
