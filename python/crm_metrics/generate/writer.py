"""The one writer of generated tables: contract columns, contract order, csv or parquet."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crm_metrics.contract import Table
from crm_metrics.generate.constants import CHUNK_ROWS

ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
}


class TableWriter:
    """Writes a contract table in batches; columns are cast to the contract's types. `omit`:
    optional columns left out of the file (the v5 columns of a v4 export)."""

    def __init__(self, out_dir: Path, table: Table, fmt: str, omit: tuple[str, ...] = ()):
        self.table = table
        self.fmt = fmt
        self.rows = 0
        self.columns = [c for c in table.columns if c.name not in omit]
        self.names = [c.name for c in self.columns]
        self.schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in self.columns])
        path = out_dir / f"{table.name}.{fmt}"
        if fmt == "csv":
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write((",".join(self.names) + "\n").encode("utf-8"))
        else:
            self._pq = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, columns: dict[str, pa.Array]) -> None:
        names = self.names
        if sorted(columns) != sorted(names):
            raise ValueError(f"{self.table.name}: columns {sorted(columns)} != contract {names}")
        arrays = [pc.cast(columns[f.name], f.type) for f in self.schema]
        batch = pa.Table.from_arrays(arrays, schema=self.schema)
        for start in range(0, max(batch.num_rows, 1), CHUNK_ROWS):
            part = batch.slice(start, CHUNK_ROWS)
            if part.num_rows == 0:
                continue
            if self.fmt == "csv":
                options = pacsv.WriteOptions(include_header=False, quoting_style="none")
                pacsv.write_csv(part, self._fh, options)
            else:
                self._pq.write_table(part)
        self.rows += batch.num_rows

    def close(self) -> int:
        if self.fmt == "csv":
            self._fh.close()
        else:
            self._pq.close()
        return self.rows
