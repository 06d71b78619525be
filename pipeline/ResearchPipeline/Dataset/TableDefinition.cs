using Parquet.Schema;

namespace ResearchPipeline.Dataset;

/// <summary>
/// A published table written down once: name, meaning of a row, columns in order, and the sort order that
/// makes its file deterministic.
/// </summary>
public sealed class TableDefinition<TRow> : ITableDefinition
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

    IReadOnlyList<IColumnDefinition> ITableDefinition.Columns => Columns;
}

/// <summary>What the data dictionary and the data package need to know of a table, whatever its row type.</summary>
public interface ITableDefinition
{
    string Name { get; }
    string RowMeaning { get; }
    string FileName { get; }
    IReadOnlyList<IColumnDefinition> Columns { get; }
}

/// <summary>A column's documented shape, whatever its row type.</summary>
public interface IColumnDefinition
{
    string Name { get; }
    string Description { get; }
    string TypeName { get; }
    bool Required { get; }
}
