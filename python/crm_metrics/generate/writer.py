"""The one writer of generated tables: contract columns, contract order, csv or parquet.

A table is a file `<table>.<fmt>`, or, written as a load (`loaded_at` given), a part
`<table>/<part_name(loaded_at)>.<fmt>` of the table's folder whose rows carry `_loaded_at`
(raw contract "Loads": the UTC instant the loader wrote them)."""

from __future__ import annotations

import datetime as dt
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


LOADED_AT = "_loaded_at"
DELETED = "_deleted"
# The generator's first load: just after the data's last instant (2025-12-31 23:59:59), so the
# same seed and size still give byte-identical files.
FIRST_LOAD_AT = dt.datetime(2026, 1, 1)
PART_NAME_FORMAT = "%Y%m%dT%H%M%SZ"


def part_name(loaded_at: dt.datetime) -> str:
    """A part's file name without extension: its load time, so name order is load order."""
    return loaded_at.strftime(PART_NAME_FORMAT)


class TableWriter:
    """Writes a contract table in batches; columns are cast to the contract's types. `omit`:
    optional columns left out of the file (the v5 columns of a v4 export). `loaded_at`: write
    the table as that load's part, every row carrying it as `_loaded_at`."""

    def __init__(
        self,
        out_dir: Path,
        table: Table,
        fmt: str,
        omit: tuple[str, ...] = (),
        loaded_at: dt.datetime | None = None,
    ):
        self.table = table
        self.fmt = fmt
        self.rows = 0
        self.loaded_at = loaded_at
        self.columns = [c for c in table.columns if c.name not in omit]
        self.names = [c.name for c in self.columns]
        fields = [pa.field(c.name, ARROW_TYPES[c.type]) for c in self.columns]
        if loaded_at is not None:
            fields.append(pa.field(LOADED_AT, pa.timestamp("s")))
            out_dir = out_dir / table.name
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / f"{part_name(loaded_at)}.{fmt}"
        else:
            path = out_dir / f"{table.name}.{fmt}"
        self.schema = pa.schema(fields)
        if fmt == "csv":
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write((",".join(self.schema.names) + "\n").encode("utf-8"))
        else:
            self._pq = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, columns: dict[str, pa.Array]) -> None:
        names = self.names
        if sorted(columns) != sorted(names):
            raise ValueError(f"{self.table.name}: columns {sorted(columns)} != contract {names}")
        arrays = [pc.cast(columns[name], self.schema.field(name).type) for name in names]
        if self.loaded_at is not None:
            rows = len(arrays[0]) if arrays else 0
            arrays.append(pa.array([self.loaded_at] * rows, pa.timestamp("s")))
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
