using Parquet.Schema;

namespace ResearchPipeline.Dataset;

/// <summary>
/// A published table written down once: name, meaning of a row, columns in order, and the sort order that
/// makes its file deterministic.
/// </summary>
public sealed class TableDefinition<TRow>
{
    public TableDefinition(string name, string rowMeaning, Comparison<TRow> order, params TableColumn<TRow>[] columns)
    {
        Name = name;
        RowMeaning = rowMeaning;
        Order = order;
        Columns = columns;
        Schema = new ParquetSchema(columns.Select(c => (Field)c.Field));
    }

    public string Name { get; }
    public string RowMeaning { get; }
    public Comparison<TRow> Order { get; }
    public IReadOnlyList<TableColumn<TRow>> Columns { get; }
    public ParquetSchema Schema { get; }
    public string FileName => Name + ".parquet";
}
