"""Column helpers shared by every table: random streams, ids, nullable arrow arrays, and the
pick of a user per item by month."""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_metrics.generate.constants import MONTH_SECS, N_MONTHS


class Keys(NamedTuple):
    """The id column of each entity table, indexed by the entity's row number."""

    users: pa.Array
    accounts: pa.Array
    opportunities: pa.Array
    products: pa.Array
    leads: pa.Array
    contacts: pa.Array


def table_rng(seed: int, name: str) -> np.random.Generator:
    """Independent, stable stream per table: adding a table never shifts another one."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))
    )


def id_width(count: int, minimum: int) -> int:
    return max(minimum, len(str(max(count, 1))))


def id_array(prefix: str, count: int, minimum_width: int) -> pa.Array:
    """`prefix_000001` .. for 1..count, zero-padded to a fixed width for the size."""
    digits = pa.array(np.arange(1, count + 1, dtype=np.int64)).cast(pa.string())
    padded = pc.utf8_lpad(digits, width=id_width(count, minimum_width), padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def take(values: pa.Array | list[str], idx: np.ndarray) -> pa.Array:
    """values[idx] with idx < 0 giving null."""
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    idx = np.asarray(idx, dtype=np.int64)
    return values.take(pa.array(idx, mask=idx < 0))


def ts_array(secs: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(secs, dtype=np.int64), pa.timestamp("s"), mask=null)


def date_array(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), pa.date32(), mask=null)


def num_array(values: np.ndarray, decimals: int) -> pa.Array:
    values = np.round(np.asarray(values, dtype=np.float64), decimals)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def month_index(secs: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(MONTH_SECS, secs, side="right") - 1, 0, N_MONTHS - 1)


def uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + (rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64)


def pick_by_month(
    rng: np.random.Generator,
    times: np.ndarray,
    groups: np.ndarray,
    hired_secs: np.ndarray,
    user_group: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """A user for each item among users hired by the item's month, of its group when possible."""
    out = np.zeros(len(times), dtype=np.int64)
    month = month_index(times)
    order = np.lexsort((groups, month))
    keys = month[order] * 16 + groups[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    for part in np.split(order, bounds):
        if part.size == 0:
            continue
        m, g = month[part[0]], groups[part[0]]
        hired = hired_secs <= max(MONTH_SECS[m], times[part].min())
        cands = np.flatnonzero(hired & (user_group == g))
        if cands.size == 0:
            cands = np.flatnonzero(hired)
        if cands.size == 0:
            cands = np.array([int(np.argmin(hired_secs))])
        p = weight[cands] / weight[cands].sum()
        out[part] = cands[rng.choice(cands.size, size=part.size, p=p)]
    return out


# --- tables --------------------------------------------------------------------------------
