"""Deterministic, vectorised demo / benchmark data generator for the raw CRM contract.

`generate(out_dir, opportunities=3000)` writes one file per contract table (`<table>.csv` or
`<table>.parquet`) with exactly the contract's columns in contract order. Every table is built
from numpy arrays (a `np.random.Generator(PCG64)` per table, seeded from `seed` and the table's
name, so tables do not shift each other); loops run only over simulation steps, months, segments
or users, never over rows. Big tables are written in chunks. Nothing reads the wall clock: the
same seed and size give byte-identical files.

Sizes: `scale=1` is about 100k deals, 600k history rows, 1M activities, 100k leads and 20k
subscriptions; `opportunities=N` sets the deal count and every other table follows the same
ratios. Deals are created 2023-01-01 .. 2025-12-31 and no timestamp is later than
2025-12-31 23:59:59, so the data's as-of date is 2025-12-31.

The bundled demo seeds are `generate(Path("seeds/demo"), opportunities=3000, seed=42)`.
"""

from __future__ import annotations

import argparse
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crm_metrics.contract import Table, load_contract

DEALS_PER_SCALE = 100_000
DEFAULT_OPPORTUNITIES = 3000
CHUNK_ROWS = 500_000  # rows per write batch (and per activity generation chunk)
DAY = 86_400


def _secs(value: str) -> int:
    return int(np.datetime64(value, "s").astype(np.int64))


def _days(value: str) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


T0 = _secs("2023-01-01T00:00:00")
T_END = _secs("2025-12-31T23:59:59")
D_END = _days("2025-12-31")
MONTH_DAYS = (
    np.arange(np.datetime64("2023-01"), np.datetime64("2026-01"))
    .astype("datetime64[D]")
    .astype(np.int64)
)  # first day of each data month, 36 entries
MONTH_SECS = MONTH_DAYS * DAY
N_MONTHS = len(MONTH_DAYS)

# (stage_name, stage_order, default_probability, is_closed, is_won); codes are stage_order.
STAGES = [
    ("Qualification", 1, 0.10, False, False),
    ("Discovery", 2, 0.20, False, False),
    ("Solution Demo", 3, 0.40, False, False),
    ("Proposal", 4, 0.60, False, False),
    ("Negotiation", 5, 0.80, False, False),
    ("Closed Won", 6, 1.0, True, True),
    ("Closed Lost", 7, 0.0, True, False),
]
STAGE_NAMES = [s[0] for s in STAGES]
WON, LOST, LAST_OPEN = 6, 7, 5

SEGMENTS = ["SMB", "MID", "ENT"]
SEGMENT_P = [0.5, 0.33, 0.17]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "ES", "IE", "AU"]
COUNTRY_P = [0.45, 0.05, 0.15, 0.10, 0.08, 0.05, 0.04, 0.03, 0.05]
CURRENCIES = ["USD", "EUR", "GBP"]
COUNTRY_CURRENCY = np.array([0, 0, 2, 1, 1, 1, 1, 1, 0])
RATE_START = [1.0, 1.07, 1.24]  # USD per unit, first month
INDUSTRIES = [
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Logistics",
    "Media",
]
NAME_A = ["Blue", "North", "Bright", "Silver", "Green", "Rapid", "Prime", "Summit", "Oak", "Nova"]
NAME_B = ["River", "Peak", "Harbor", "Field", "Stone", "Bridge", "Wave", "Forge", "Pine", "Star"]
NAME_C = ["Systems", "Labs", "Group", "Industries", "Partners", "Health", "Logistics", "Media"]
FIRST_NAMES = [
    "Alex", "Maria", "Sam", "Priya", "John", "Chen", "Laura", "Omar", "Emma", "Lucas",
    "Sofia", "David", "Aisha", "Tom", "Hannah", "Ivan", "Julia", "Kenji", "Nora", "Pablo",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Garcia", "Miller", "Patel", "Johnson", "Wang", "Brown", "Khan", "Schmidt",
    "Rossi", "Dubois", "Novak", "Silva", "Kim", "Murphy", "Jensen", "Lopez", "Weber",
]  # fmt: skip

LEAD_SOURCES = ["Inbound Web", "Paid Search", "Event", "Outbound SDR", "Partner", "Referral"]
LEAD_SOURCE_SHARE = np.array([0.35, 0.20, 0.15, 0.15, 0.08, 0.07])
LEAD_CONVERSION = np.array([0.12, 0.05, 0.10, 0.14, 0.25, 0.32])  # lead -> deal, per source
DEAL_SOURCES = [*LEAD_SOURCES, "AE Sourced", "Existing Customer"]
NEW_BUSINESS_SOURCE_P = [0.30, 0.10, 0.10, 0.20, 0.10, 0.10, 0.10, 0.0]
EXISTING_SOURCE_P = [0.0, 0.0, 0.0, 0.0, 0.10, 0.0, 0.10, 0.80]
OPP_TYPES = ["new_business", "expansion", "renewal"]
OPP_TYPE_LABEL = ["New Business", "Expansion", "Renewal"]
LOSS_REASONS = ["Price", "Competitor", "No Decision", "Timing", "Budget", "Product Fit"]
LOSS_REASON_P = [0.25, 0.22, 0.20, 0.13, 0.12, 0.08]
DISQUALIFY_REASONS = ["No Budget", "Not a Fit", "Unresponsive", "Competitor Chosen", "Duplicate"]
DISQUALIFY_P = [0.25, 0.30, 0.25, 0.12, 0.08]
LEAD_STATUSES = ["new", "nurture", "mql", "sql", "converted", "disqualified"]
ACTIVITY_TYPES = ["call", "email", "meeting", "demo", "poc", "rfp", "other"]
OUTCOMES = ["connected", "no_answer", "left_voicemail", "meeting_booked", "completed", "other"]
CHANNELS = ["Paid Search", "Events", "Content", "Social", "Partner Marketing"]
CHANNEL_BASE = np.array([12_000.0, 8_000.0, 4_000.0, 5_000.0, 3_000.0])  # per month at 3000 deals

# product_id order: platform per segment first, then add-ons, then services
PRODUCTS = [
    ("Platform Starter", "Platform", 25.0),
    ("Platform Professional", "Platform", 60.0),
    ("Platform Enterprise", "Platform", 110.0),
    ("Analytics Add-on", "Add-on", 15.0),
    ("Automation Add-on", "Add-on", 20.0),
    ("Security Add-on", "Add-on", 18.0),
    ("Integrations Pack", "Add-on", 12.0),
    ("Onboarding Package", "Services", 5_000.0),
    ("Premium Support", "Services", 8_000.0),
    ("Training Workshop", "Services", 3_000.0),
]
N_PLATFORM, N_ADDON = 3, 4

_ARROW_TYPES = {
    "text": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("s"),
}


# --- small helpers -------------------------------------------------------------------------


def _rng(seed: int, name: str) -> np.random.Generator:
    """Independent, stable stream per table: adding a table never shifts another one."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))
    )


def _width(count: int, minimum: int) -> int:
    return max(minimum, len(str(max(count, 1))))


def _ids(prefix: str, count: int, minimum_width: int) -> pa.Array:
    """`prefix_000001` .. for 1..count, zero-padded to a fixed width for the size."""
    digits = pa.array(np.arange(1, count + 1, dtype=np.int64)).cast(pa.string())
    padded = pc.utf8_lpad(digits, width=_width(count, minimum_width), padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def _take(values: pa.Array | list[str], idx: np.ndarray) -> pa.Array:
    """values[idx] with idx < 0 giving null."""
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    idx = np.asarray(idx, dtype=np.int64)
    return values.take(pa.array(idx, mask=idx < 0))


def _ts(secs: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(secs, dtype=np.int64), pa.timestamp("s"), mask=null)


def _date(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), pa.date32(), mask=null)


def _num(values: np.ndarray, decimals: int) -> pa.Array:
    values = np.round(np.asarray(values, dtype=np.float64), decimals)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _month_index(secs: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(MONTH_SECS, secs, side="right") - 1, 0, N_MONTHS - 1)


def _uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + (rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64)


class _Writer:
    """Writes a contract table in batches; columns are cast to the contract's types."""

    def __init__(self, out_dir: Path, table: Table, fmt: str):
        self.table = table
        self.fmt = fmt
        self.rows = 0
        self.schema = pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in table.columns])
        path = out_dir / f"{table.name}.{fmt}"
        if fmt == "csv":
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
        else:
            self._pq = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, columns: dict[str, pa.Array]) -> None:
        names = self.table.column_names
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


def _pick_by_month(
    rng: np.random.Generator,
    times: np.ndarray,
    groups: np.ndarray,
    hired_secs: np.ndarray,
    user_group: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """A user for each item among users hired by the item's month, of its group when possible."""
    out = np.zeros(len(times), dtype=np.int64)
    month = _month_index(times)
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


def _users(seed: int, n_deals: int) -> dict:
    rng = _rng(seed, "users")
    n_ae = max(6, round(n_deals / 250))
    n_sdr = max(4, round(n_ae * 0.6))
    n_se = max(3, round(n_ae / 3))
    n_teams = max(3, -(-n_ae // 6))
    role, manager, team, segment, hired = [], [], [], [], []

    def add(r: str, m: int, t: str, s: int, h: int) -> int:
        role.append(r)
        manager.append(m)
        team.append(t)
        segment.append(s)
        hired.append(h)
        return len(role) - 1

    early = _days("2018-01-01"), _days("2022-06-30")
    late = _days("2023-01-01"), _days("2025-06-30")

    def hire(early_only: bool) -> int:
        lo, hi = early if early_only or rng.random() < 0.6 else late
        return int(rng.integers(lo, hi))

    vp = add("MANAGER", -1, "Leadership", -1, _days("2017-09-01"))
    team_mgr = [
        add("MANAGER", vp, f"{SEGMENTS[i % 3]} Team {i // 3 + 1}", i % 3, hire(True))
        for i in range(n_teams)
    ]
    sdr_mgr = add("MANAGER", vp, "SDR", -1, hire(True))
    se_mgr = add("MANAGER", vp, "Presales", -1, hire(True))
    for i in range(n_ae):
        t = i % n_teams
        add("AE", team_mgr[t], team[team_mgr[t]], t % 3, hire(i < n_teams))
    for i in range(n_sdr):
        add("SDR", sdr_mgr, "SDR", i % 3, hire(i < 3))
    for i in range(n_se):
        add("SE", se_mgr, "Presales", i % 3, hire(i < 3))
    add("OTHER", vp, "Operations", -1, _days("2019-04-01"))
    add("OTHER", vp, "Operations", -1, _days("2020-02-01"))
    n = len(role)
    role_arr = np.array(role)
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    full = [f"{FIRST_NAMES[a]} {LAST_NAMES[b]}" for a, b in zip(first, last, strict=True)]
    email = [
        f"{FIRST_NAMES[a].lower()}.{LAST_NAMES[b].lower()}{i + 1}@example.com"
        for i, (a, b) in enumerate(zip(first, last, strict=True))
    ]
    active = np.ones(n, dtype=bool)
    active[n - 1] = False  # a former ops user
    # connect rate per user: evenly spread so dials per connect differ between reps
    connect = np.full(n, 0.2)
    for r in ("SDR", "AE"):
        idx = np.flatnonzero(role_arr == r)
        connect[idx] = rng.permutation(np.linspace(0.08, 0.34, idx.size))
    return {
        "n": n,
        "role": role_arr,
        "manager": np.array(manager),
        "team": team,
        "segment": np.array(segment),
        "hired_days": np.array(hired, dtype=np.int64),
        "full_name": full,
        "email": email,
        "active": active,
        "connect_rate": connect,
        "weight": rng.lognormal(0.0, 0.35, n),
    }


def _write_users(w: _Writer, u: dict) -> None:
    ids = _ids("usr_", u["n"], 4)
    w.write(
        {
            "user_id": ids,
            "full_name": pa.array(u["full_name"], pa.string()),
            "email": pa.array(u["email"], pa.string()),
            "role": pa.array(list(u["role"]), pa.string()),
            "manager_id": _take(ids, u["manager"]),
            "team": pa.array(u["team"], pa.string()),
            "segment": _take(SEGMENTS, u["segment"]),
            "hired_on": _date(u["hired_days"]),
            "is_active": pa.array(u["active"], pa.bool_()),
        }
    )


def _deals(seed: int, n: int, u: dict) -> dict:
    """Deal attributes plus the simulated history (rows in time order per deal)."""
    rng = _rng(seed, "opportunities")
    n_acc = max(20, round(n * 0.3))
    acc_segment = rng.choice(3, size=n_acc, p=SEGMENT_P)
    acc_country = rng.choice(len(COUNTRIES), size=n_acc, p=COUNTRY_P)
    acc_weight = rng.lognormal(0.0, 1.0, n_acc) * np.array([1.0, 1.3, 1.8])[acc_segment]

    span = T_END - T0
    created = T0 + (rng.beta(1.3, 1.0, n) * span).astype(np.int64)
    created.sort()
    acc = rng.choice(n_acc, size=n, p=acc_weight / acc_weight.sum())
    seg = acc_segment[acc]
    currency = COUNTRY_CURRENCY[acc_country[acc]]

    # opportunity_type: an account's first deal is new business, later ones expansion / renewal
    order = np.lexsort((np.arange(n), acc))
    first_of_acc = np.ones(n, dtype=bool)
    first_of_acc[order[1:]] = acc[order[1:]] != acc[order[:-1]]
    opp_type = np.where(first_of_acc, 0, np.where(rng.random(n) < 0.6, 1, 2))
    source = np.where(
        opp_type == 0,
        rng.choice(len(DEAL_SOURCES), size=n, p=NEW_BUSINESS_SOURCE_P),
        rng.choice(len(DEAL_SOURCES), size=n, p=EXISTING_SOURCE_P),
    )

    hired_secs = u["hired_days"] * DAY
    is_ae = u["role"] == "AE"
    ae_group = np.where(is_ae, u["segment"], -9)
    owner = _pick_by_month(
        rng, created, seg, np.where(is_ae, hired_secs, 2**62), ae_group, u["weight"]
    )
    is_se = u["role"] == "SE"
    se = _pick_by_month(
        rng,
        created,
        seg,
        np.where(is_se, hired_secs, 2**62),
        np.where(is_se, u["segment"], -9),
        u["weight"],
    )
    presales = np.where(rng.random(n) < np.array([0.3, 0.6, 0.85])[seg], se, -1)

    base = np.array([9_000.0, 35_000.0, 140_000.0])[seg] * np.array([1.0, 0.4, 0.8])[opp_type]
    fx = np.array(RATE_START)[currency]
    amount = np.round(base * rng.lognormal(0.0, 0.6, n) / fx, -1).clip(500)
    created_day = created // DAY
    cycle = np.array([45, 75, 120])[seg]
    close = created_day + (cycle * rng.uniform(0.6, 1.4, n)).astype(np.int64)

    # --- simulate the path ---
    r = rng.random(n)
    stage = np.select([r < 0.01, r < 0.05, r < 0.25], [WON, 3, 2], 1).astype(np.int64)
    won_target = rng.random(n) < np.array([0.40, 0.34, 0.30])[seg]
    depth = np.where(
        won_target, LAST_OPEN, rng.choice([1, 2, 3, 4, 5], size=n, p=[0.2, 0.28, 0.24, 0.16, 0.12])
    )
    depth = np.maximum(depth, np.minimum(stage, LAST_OPEN))
    mean_dt = np.where(won_target, 8.0, 13.0) * np.array([0.8, 1.2, 1.9])[seg]
    mean_dt *= np.where(rng.random(n) < 0.03, 5.0, 1.0)  # stalled deals
    push_prone = rng.random(n) < 0.05
    max_regress = np.where(rng.random(n) < 0.05, 2, 1)
    reopen_flag = rng.random(n) < 0.03
    n_regress = np.zeros(n, dtype=np.int64)
    reopen_pending = np.zeros(n, dtype=bool)
    reopened = np.zeros(n, dtype=bool)
    last_close_t = np.full(n, -1, dtype=np.int64)

    created_won = stage == WON
    close[created_won] = created_day[created_won]
    last_close_t[created_won] = created[created_won]
    done = created_won.copy()
    t = created.copy()
    rows = [
        (
            np.arange(n, dtype=np.int32),
            created.copy(),
            stage.astype(np.int8),
            amount.copy(),
            close.astype(np.int32),
        )
    ]
    for _step in range(80):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        nt = t[act] + (rng.exponential(1.0, act.size) * mean_dt[act] * DAY).astype(np.int64) + 3600
        over = nt > T_END
        done[act[over]] = True
        act, nt = act[~over], nt[~over]
        k = act.size
        st = stage[act]
        nday = nt // DAY
        u_ev = rng.random(k)
        p_push = np.where(push_prone[act], 0.45, 0.13) + np.where(nday > close[act], 0.3, 0.0)
        p_amt = 0.15
        p_reg = np.where(
            (st >= 2) & (st <= LAST_OPEN) & (n_regress[act] < max_regress[act]), 0.05, 0.0
        )
        reo = reopen_pending[act]
        push = ~reo & (u_ev < p_push)
        amt = ~reo & ~push & (u_ev < p_push + p_amt)
        reg = ~reo & ~push & ~amt & (u_ev < p_push + p_amt + p_reg)
        prog = ~reo & ~push & ~amt & ~reg
        closing = prog & (st >= depth[act])
        adv = prog & ~closing
        skip = adv & (rng.random(k) < 0.12) & (st + 2 <= depth[act])

        new_st = st.copy()
        new_st[adv] = st[adv] + 1 + skip[adv]
        new_st[reg] = st[reg] - 1
        new_st[closing] = np.where(won_target[act[closing]], WON, LOST)
        new_st[reo] = rng.integers(3, LAST_OPEN + 1, int(reo.sum()))
        new_close = close[act].copy()
        pushed_to = np.maximum(new_close, nday) + rng.integers(7, 60, k)
        new_close[push] = pushed_to[push]
        new_close[closing] = nday[closing]
        new_close[reo] = nday[reo] + rng.integers(20, 90, int(reo.sum()))
        new_amt = amount[act].copy()
        factor = np.where(rng.random(k) < 0.5, rng.uniform(0.6, 0.92, k), rng.uniform(1.08, 1.5, k))
        changed = np.round(new_amt * factor, -1).clip(500)
        changed = np.where(changed == new_amt, new_amt + 10, changed)
        new_amt[amt] = changed[amt]

        i_reo = act[reo]
        reopen_pending[i_reo] = False
        reopened[i_reo] = True
        won_target[i_reo] = rng.random(i_reo.size) < 0.5
        depth[i_reo] = np.where(won_target[i_reo], LAST_OPEN, new_st[reo])
        n_regress[act[reg]] += 1
        i_close = act[closing]
        last_close_t[i_close] = nt[closing]
        again = reopen_flag[i_close] & ~reopened[i_close]
        reopen_pending[i_close[again]] = True
        done[i_close[~again]] = True

        stage[act], close[act], amount[act], t[act] = new_st, new_close, new_amt, nt
        rows.append(
            (act.astype(np.int32), nt, new_st.astype(np.int8), new_amt, new_close.astype(np.int32))
        )

    h_deal = np.concatenate([r[0] for r in rows])
    h_t = np.concatenate([r[1] for r in rows])
    h_stage = np.concatenate([r[2] for r in rows])
    h_amt = np.concatenate([r[3] for r in rows])
    h_close = np.concatenate([r[4] for r in rows])
    del rows

    # a few deals have no history at all (single-row deals whose only row is dropped)
    counts = np.bincount(h_deal, minlength=n)
    single = np.flatnonzero(counts == 1)
    n_drop = min(single.size, max(3, round(n * 0.004)))
    no_history = np.zeros(n, dtype=bool)
    no_history[rng.choice(single, size=n_drop, replace=False)] = True
    keep = ~no_history[h_deal]
    h_deal, h_t, h_stage, h_amt, h_close = (
        h_deal[keep], h_t[keep], h_stage[keep], h_amt[keep], h_close[keep]
    )  # fmt: skip
    # each deal's history instants, sorted by deal then time: presales work logged at the very
    # instant of a history row (a stage change) lands on stage boundaries
    by_deal = np.lexsort((h_t, h_deal))
    hist_count = np.bincount(h_deal, minlength=n)
    hist_start = np.cumsum(hist_count) - hist_count
    # changed_by: the owner, sometimes the owner's manager
    by = owner[h_deal]
    mgr_edit = rng.random(h_deal.size) < 0.07
    by[mgr_edit] = u["manager"][by[mgr_edit]]

    is_closed = stage >= WON
    loss = np.where(stage == LOST, rng.choice(len(LOSS_REASONS), size=n, p=LOSS_REASON_P), -1)
    return {
        "n": n,
        "n_acc": n_acc,
        "acc_segment": acc_segment,
        "acc_country": acc_country,
        "acc": acc,
        "seg": seg,
        "currency": currency,
        "opp_type": opp_type,
        "source": source,
        "owner": owner,
        "presales": presales,
        "created": created,
        "close": close,
        "amount": amount,
        "stage": stage,
        "closed_at": np.where(is_closed, last_close_t, -1),
        "loss": loss,
        "history": (h_deal, h_t, h_stage, h_amt, h_close, by),
        "hist_t_by_deal": h_t[by_deal],
        "hist_start": hist_start,
        "hist_count": hist_count,
        "shuffle": rng.permutation(h_deal.size),
    }


def _accounts(seed: int, d: dict, u: dict, converted_at_by_deal: np.ndarray) -> dict:
    rng = _rng(seed, "accounts")
    n_acc = d["n_acc"]
    # deals are sorted by created_at: the first deal of an account is its lowest index
    first_deal = np.full(n_acc, d["n"], dtype=np.int64)
    np.minimum.at(first_deal, d["acc"], np.arange(d["n"]))
    has = first_deal < d["n"]
    created = _secs("2022-01-01T00:00:00") + (
        rng.random(n_acc) * (T_END - _secs("2022-01-01T00:00:00"))
    ).astype(np.int64)
    lead_time = (rng.uniform(1, 120, n_acc) * DAY).astype(np.int64)
    fd = np.where(has, first_deal, 0)
    from_deal = np.maximum(d["created"][fd] - lead_time, _secs("2022-01-01T00:00:00"))
    conv = converted_at_by_deal[fd]
    from_deal = np.where(conv >= 0, conv, from_deal)  # converted from a lead: created then
    created = np.where(has, from_deal, created)
    is_ae = u["role"] == "AE"
    owner_fallback = _pick_by_month(
        rng,
        np.maximum(created, T0),
        d["acc_segment"],
        np.where(is_ae, u["hired_days"] * DAY, 2**62),
        np.where(is_ae, u["segment"], -9),
        u["weight"],
    )
    owner = np.where(has, d["owner"][fd], owner_fallback)
    lo = np.array([10, 200, 2000])[d["acc_segment"]]
    hi = np.array([200, 2000, 50000])[d["acc_segment"]]
    employees = np.exp(rng.uniform(np.log(lo), np.log(hi))).astype(np.int64)
    name_a = pa.array(NAME_A).take(pa.array(rng.integers(0, len(NAME_A), n_acc)))
    name_b = pa.array(NAME_B).take(pa.array(rng.integers(0, len(NAME_B), n_acc)))
    name_c = pa.array(NAME_C).take(pa.array(rng.integers(0, len(NAME_C), n_acc)))
    names = pc.binary_join_element_wise(name_a, name_b, " ")
    names = pc.binary_join_element_wise(names, name_c, " ")
    industry = rng.integers(0, len(INDUSTRIES), n_acc)
    # a few accounts without an industry or a headcount (the profile marts show `unknown`)
    industry = np.where(rng.random(n_acc) < 0.03, -1, industry)
    no_headcount = rng.random(n_acc) < 0.03
    return {
        "names": names,
        "industry": industry,
        "employees": employees,
        "no_headcount": no_headcount,
        "owner": owner,
        "created": created,
    }


def _leads(seed: int, d: dict, u: dict) -> dict:
    """Leads: the converted ones point at new-business deals; the rest never convert."""
    rng = _rng(seed, "leads")
    n_leads = d["n"]
    per_source = np.round(n_leads * LEAD_SOURCE_SHARE).astype(np.int64)
    conv_deal_parts, conv_src_parts = [], []
    for s in range(len(LEAD_SOURCES)):
        cands = np.flatnonzero((d["opp_type"] == 0) & (d["source"] == s))
        k = min(cands.size, round(per_source[s] * LEAD_CONVERSION[s]))
        conv_deal_parts.append(np.sort(rng.choice(cands, size=k, replace=False)))
        conv_src_parts.append(np.full(k, s))
    conv_deal = np.concatenate(conv_deal_parts)
    n_conv = conv_deal.size
    n_rest = int(per_source.sum()) - n_conv
    rest_src = np.repeat(
        np.arange(len(LEAD_SOURCES)), per_source - np.array([p.size for p in conv_deal_parts])
    )

    deal_created = d["created"][conv_deal]
    c_created = deal_created - (rng.uniform(3, 90, n_conv) * DAY).astype(np.int64)
    early = c_created < T0  # keep leads in the data window without piling them up on day one
    c_created[early] = T0 + (rng.random(int(early.sum())) * (deal_created[early] - T0)).astype(
        np.int64
    )
    c_conv = np.maximum(c_created, deal_created - rng.integers(0, 7200, n_conv))
    gap = c_conv - c_created
    c_mql = c_created + (gap * rng.uniform(0.1, 0.4, n_conv)).astype(np.int64)
    c_sql = c_created + (gap * rng.uniform(0.5, 0.9, n_conv)).astype(np.int64)
    c_mql_null = rng.random(n_conv) < 0.12  # skipped MQL (e.g. straight from outbound)

    r_created = T0 + (rng.beta(1.3, 1.0, n_rest) * (T_END - T0)).astype(np.int64)
    r_mql = r_created + (rng.exponential(7, n_rest) * DAY).astype(np.int64)
    reach_mql = rng.random(n_rest) < 0.55
    skip_mql = ~reach_mql & (rng.random(n_rest) < 0.08)
    r_sql = np.where(skip_mql, r_mql, r_mql + (rng.exponential(10, n_rest) * DAY).astype(np.int64))
    reach_sql = (reach_mql & (rng.random(n_rest) < 0.4)) | skip_mql
    last = np.where(reach_sql, r_sql, np.where(reach_mql, r_mql, r_created))
    r_disq = last + (rng.exponential(14, n_rest) * DAY).astype(np.int64)
    disq = rng.random(n_rest) < 0.5
    mql_null = ~reach_mql | skip_mql | (r_mql > T_END)
    sql_null = ~reach_sql | (r_sql > T_END)
    disq_null = ~disq | (r_disq > T_END)
    status = np.where(
        ~disq_null,
        5,
        np.where(
            ~sql_null, 3, np.where(~mql_null, 2, np.where(r_created < T_END - 120 * DAY, 1, 0))
        ),
    )

    created = np.concatenate([c_created, r_created])
    order = np.argsort(created, kind="stable")
    is_sdr = u["role"] == "SDR"
    owner = _pick_by_month(
        rng,
        created,
        np.zeros(created.size, dtype=np.int64),
        np.where(is_sdr, u["hired_days"] * DAY, 2**62),
        np.where(is_sdr, 0, -9),
        u["weight"],
    )
    neg = np.full(n_rest, -1, dtype=np.int64)
    out = {
        "created": created,
        "source": np.concatenate([np.concatenate(conv_src_parts), rest_src]),
        "owner": owner,
        "status": np.concatenate([np.full(n_conv, 4), status]),
        "mql": np.concatenate([np.where(c_mql_null, -1, c_mql), np.where(mql_null, -1, r_mql)]),
        "sql": np.concatenate([c_sql, np.where(sql_null, -1, r_sql)]),
        "converted": np.concatenate([c_conv, neg]),
        "deal": np.concatenate([conv_deal, neg]),
        "disq": np.concatenate([np.full(n_conv, -1), np.where(disq_null, -1, r_disq)]),
        "reason": np.concatenate(
            [
                np.full(n_conv, -1),
                np.where(
                    disq_null, -1, rng.choice(len(DISQUALIFY_REASONS), size=n_rest, p=DISQUALIFY_P)
                ),
            ]
        ),
    }
    out = {k: v[order] for k, v in out.items()}
    out["n"] = created.size
    converted_at_by_deal = np.full(d["n"], -1, dtype=np.int64)
    converted_at_by_deal[out["deal"][out["deal"] >= 0]] = out["converted"][out["deal"] >= 0]
    out["converted_at_by_deal"] = converted_at_by_deal
    return out


def _activity_chunks(
    seed: int, d: dict, leads: dict, u: dict, n_contacts_per_acc: int
) -> Iterator[dict]:
    """Activities as column arrays in chunks: lead work, deal work, presales, prospecting."""
    rng = _rng(seed, "activities")
    end_deal = np.where(d["closed_at"] >= 0, d["closed_at"], T_END)
    conv_or_disq = np.where(leads["converted"] >= 0, leads["converted"], leads["disq"])
    end_lead = np.where(
        conv_or_disq >= 0, conv_or_disq, np.minimum(leads["created"] + 45 * DAY, T_END)
    )
    sources = [
        ("lead", leads["n"], 3.4),
        ("deal", d["n"], 2.6),
        ("presales", d["n"], 3.0),
        ("prospect", d["n"], 2.2),
    ]
    step = max(1, CHUNK_ROWS // 4)
    for kind, total, mean in sources:
        for lo in range(0, total, step):
            hi = min(total, lo + step)
            ent = np.arange(lo, hi)
            if kind == "presales":
                ent = ent[d["presales"][ent] >= 0]
            if kind == "prospect":
                n_rows = rng.poisson(mean, ent.size).sum()
                sdr = np.flatnonzero(u["role"] == "SDR")
                mgr = np.flatnonzero(u["role"] == "MANAGER")
                pool = np.concatenate([sdr, sdr, sdr, sdr, mgr])
                user = pool[rng.integers(0, pool.size, n_rows)]
                start = np.maximum(T0, u["hired_days"][user] * DAY)
                at = _uniform_between(rng, start, np.full(n_rows, T_END))
                account = rng.integers(0, d["n_acc"], n_rows)
                account = np.where(rng.random(n_rows) < 0.6, account, -1)
                lead = np.full(n_rows, -1)
                opp = np.full(n_rows, -1)
            else:
                count = rng.poisson(
                    mean + (kind == "lead") * 2.0 * (leads["deal"][ent] >= 0)
                    if kind == "lead"
                    else mean,
                    ent.size,
                )
                rep = np.repeat(ent, count)
                n_rows = rep.size
                if kind == "lead":
                    user = leads["owner"][rep]
                    at = _uniform_between(rng, leads["created"][rep], end_lead[rep])
                    lead, account, opp = rep, np.full(n_rows, -1), np.full(n_rows, -1)
                else:
                    user = d["owner"][rep] if kind == "deal" else d["presales"][rep]
                    at = _uniform_between(rng, d["created"][rep], end_deal[rep])
                    if kind == "presales" and d["hist_t_by_deal"].size:
                        # about one in eight logged at the instant of one of the deal's history
                        # rows (creation, a stage change, the close)
                        k_hist = d["hist_count"][rep]
                        at_row = (rng.random(n_rows) < 0.12) & (k_hist > 0)
                        pick = d["hist_start"][rep] + (
                            rng.random(n_rows) * np.maximum(k_hist, 1)
                        ).astype(np.int64)
                        pick = np.minimum(pick, d["hist_t_by_deal"].size - 1)  # k_hist 0: unused
                        at = np.where(at_row, d["hist_t_by_deal"][pick], at)
                    # some deal work is logged on the deal only, without the account
                    account = np.where(rng.random(n_rows) < 0.1, -1, d["acc"][rep])
                    lead, opp = np.full(n_rows, -1), rep
                    if kind == "presales":
                        # and some SE time is not on a deal (enablement, internal prep)
                        internal = rng.random(n_rows) < 0.15
                        account = np.where(internal, -1, account)
                        opp = np.where(internal, -1, opp)
            role = u["role"][user]
            atype = np.full(n_rows, 1)
            probs = {
                "SDR": [0.78, 0.2, 0.02, 0, 0, 0, 0],
                "AE": [0.28, 0.4, 0.2, 0.1, 0, 0, 0.02],
                "SE": [0.05, 0.1, 0.22, 0.3, 0.15, 0.1, 0.08],
                "MANAGER": [0, 0.4, 0.55, 0, 0, 0, 0.05],
                "OTHER": [0, 1.0, 0, 0, 0, 0, 0],
            }
            for r, p in probs.items():
                sel = np.flatnonzero(role == r)
                atype[sel] = rng.choice(7, size=sel.size, p=p)
            if kind == "lead":
                atype = np.where(rng.random(n_rows) < 0.8, 0, 1)  # SDR lead work: calls, emails
            cr = u["connect_rate"][user]
            x = rng.random(n_rows)
            call_out = np.select([x < cr * 0.75, x < cr, x < cr + (1 - cr) * 0.4], [0, 3, 2], 1)
            other_out = np.where(rng.random(n_rows) < 0.06, 5, 4)
            outcome = np.select([atype == 0, atype == 1], [call_out, -1], other_out)
            lo_min = np.array([2, 0, 25, 45, 60, 60, 10])[atype]
            hi_min = np.array([25, 0, 60, 90, 480, 240, 30])[atype]
            minutes = np.round(rng.uniform(lo_min, hi_min), 0)
            minutes = np.where(atype == 1, np.nan, minutes)
            minutes = np.where((atype == 0) & (outcome == 1), np.nan, minutes)
            minutes = np.where((atype == 0) & (outcome == 2), 1.0, minutes)
            contact = np.where(
                account >= 0,
                account * n_contacts_per_acc + rng.integers(0, n_contacts_per_acc, n_rows),
                -1,
            )
            o = np.argsort(at, kind="stable")
            yield {
                "user": user[o],
                "type": atype[o],
                "at": at[o],
                "outcome": outcome[o],
                "minutes": minutes[o],
                "lead": lead[o],
                "contact": contact[o],
                "account": account[o],
                "opp": opp[o],
            }


def _subscriptions(seed: int, d: dict) -> dict:
    rng = _rng(seed, "subscriptions")
    won = np.flatnonzero(d["stage"] == WON)
    order = won[np.lexsort((d["closed_at"][won], d["acc"][won]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = d["acc"][order[1:]] != d["acc"][order[:-1]]
    deal = order[first]
    acc = d["acc"][deal]
    close_day = d["closed_at"][deal] // DAY
    start = close_day + rng.integers(0, 15, deal.size)
    month_start = start.astype("datetime64[D]").astype("datetime64[M]")
    next_month = (month_start + 1).astype("datetime64[D]").astype(np.int64)
    start = np.where(rng.random(deal.size) < 0.5, next_month, start)
    start = np.where(start > D_END, close_day, start)
    mrr = np.round(d["amount"][deal] / 12.0, 2)
    cur = d["currency"][deal]
    product = d["seg"][deal]
    parts = []
    active = np.arange(deal.size)
    for _period in range(8):
        if active.size == 0:
            break
        k = active.size
        length = (rng.exponential(420, k) + 60).astype(np.int64)
        end = start[active] + length
        open_ended = end > D_END
        ev = rng.choice(3, size=k, p=[0.3, 0.15, 0.55])  # upgrade, downgrade, churn
        parts.append(
            (
                acc[active],
                product[active],
                start[active],
                np.where(open_ended, -1, end),
                mrr[active],
                cur[active],
            )
        )
        cont = ~open_ended & ((ev < 2) | (rng.random(k) < 0.3))
        gap = np.where(ev == 2, rng.integers(45, 240, k), 0)
        factor = np.select(
            [ev == 0, ev == 1],
            [rng.uniform(1.15, 1.6, k), rng.uniform(0.55, 0.9, k)],
            rng.uniform(0.8, 1.2, k),
        )
        nxt = end + gap
        cont &= nxt <= D_END
        mrr[active] = np.round(mrr[active] * factor, 2)
        start[active] = nxt
        active = active[cont]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        parts.append((empty, empty, empty, empty, np.zeros(0), empty))
    cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    o = np.lexsort((cols[2], cols[0]))
    return {
        "acc": cols[0][o],
        "product": cols[1][o],
        "start": cols[2][o],
        "end": cols[3][o],
        "mrr": cols[4][o],
        "cur": cols[5][o],
    }


def _rates(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Monthly rates from 2022-12-01 to 2025-12-01: (rate_days, rates[currency, month])."""
    rng = _rng(seed, "exchange_rates")
    days = (
        np.arange(np.datetime64("2022-12"), np.datetime64("2026-01"))
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    rates = np.ones((len(CURRENCIES), days.size))
    for c in range(1, len(CURRENCIES)):
        steps = rng.normal(0.0, 0.012, days.size)
        steps[0] = 0.0
        rates[c] = np.round(RATE_START[c] * np.exp(np.cumsum(steps)), 6)
    return days, rates


# --- entry point ---------------------------------------------------------------------------


def generate(
    out_dir: Path,
    *,
    opportunities: int | None = None,
    scale: float | None = None,
    seed: int = 42,
    fmt: str = "csv",
) -> dict[str, int]:
    """Write every contract table to `out_dir`; returns rows written per table."""
    if opportunities is not None and scale is not None:
        raise ValueError("give either opportunities or scale, not both")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    n = (
        opportunities
        if opportunities is not None
        else (round(scale * DEALS_PER_SCALE) if scale is not None else DEFAULT_OPPORTUNITIES)
    )
    if n < 1:
        raise ValueError("need at least one opportunity")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    contract = load_contract()
    counts: dict[str, int] = {}

    def writer(name: str) -> _Writer:
        return _Writer(out_dir, contract[name], fmt)

    def single(name: str, columns: dict[str, pa.Array]) -> None:
        w = writer(name)
        w.write(columns)
        counts[name] = w.close()

    u = _users(seed, n)
    user_ids = _ids("usr_", u["n"], 4)
    w = writer("users")
    _write_users(w, u)
    counts["users"] = w.close()

    single(
        "stages",
        {
            "stage_name": pa.array(STAGE_NAMES),
            "stage_order": pa.array([s[1] for s in STAGES], pa.int64()),
            "default_probability": pa.array([s[2] for s in STAGES]),
            "is_closed": pa.array([s[3] for s in STAGES]),
            "is_won": pa.array([s[4] for s in STAGES]),
        },
    )
    product_ids = _ids("prd_", len(PRODUCTS), 3)
    single(
        "products",
        {
            "product_id": product_ids,
            "product_name": pa.array([p[0] for p in PRODUCTS]),
            "product_family": pa.array([p[1] for p in PRODUCTS]),
            "list_price": pa.array([p[2] for p in PRODUCTS]),
        },
    )

    d = _deals(seed, n, u)
    leads = _leads(seed, d, u)
    a = _accounts(seed, d, u, leads["converted_at_by_deal"])
    acc_ids = _ids("acc_", d["n_acc"], 6)
    opp_ids = _ids("opp_", n, 7)
    single(
        "accounts",
        {
            "account_id": acc_ids,
            "account_name": a["names"],
            "industry": _take(INDUSTRIES, a["industry"]),
            "employee_count": pa.array(a["employees"], pa.int64(), mask=a["no_headcount"]),
            "country": _take(COUNTRIES, d["acc_country"]),
            "segment": _take(SEGMENTS, d["acc_segment"]),
            "owner_id": _take(user_ids, a["owner"]),
            "created_at": _ts(a["created"]),
        },
    )

    names = pc.binary_join_element_wise(
        _take(a["names"], d["acc"]), _take(OPP_TYPE_LABEL, d["opp_type"]), " - "
    )
    closed = d["stage"] >= WON
    single(
        "opportunities",
        {
            "opportunity_id": opp_ids,
            "account_id": _take(acc_ids, d["acc"]),
            "owner_id": _take(user_ids, d["owner"]),
            "presales_owner_id": _take(user_ids, d["presales"]),
            "opportunity_name": names,
            "opportunity_type": _take(OPP_TYPES, d["opp_type"]),
            "lead_source": _take(DEAL_SOURCES, d["source"]),
            "created_at": _ts(d["created"]),
            "close_date": _date(d["close"]),
            "amount": _num(d["amount"], 2),
            "currency_code": _take(CURRENCIES, d["currency"]),
            "stage_name": _take(STAGE_NAMES, d["stage"] - 1),
            "is_closed": pa.array(closed),
            "is_won": pa.array(d["stage"] == WON),
            "loss_reason": _take(LOSS_REASONS, d["loss"]),
            "closed_at": _ts(d["closed_at"], d["closed_at"] < 0),
        },
    )

    h_deal, h_t, h_stage, h_amt, h_close, h_by = d.pop("history")
    shuffle = d.pop("shuffle")
    w = writer("opportunity_history")
    for lo in range(0, shuffle.size, CHUNK_ROWS):
        sel = shuffle[lo : lo + CHUNK_ROWS]
        w.write(
            {
                "opportunity_id": _take(opp_ids, h_deal[sel]),
                "changed_at": _ts(h_t[sel]),
                "stage_name": _take(STAGE_NAMES, h_stage[sel] - 1),
                "amount": _num(h_amt[sel], 2),
                "close_date": _date(h_close[sel]),
                "changed_by": _take(user_ids, h_by[sel]),
            }
        )
    counts["opportunity_history"] = w.close()
    del h_deal, h_t, h_stage, h_amt, h_close, h_by, shuffle

    # line items: a platform product for the segment plus distinct add-ons / services
    rng = _rng(seed, "opportunity_line_items")
    has_items = rng.random(n) < 0.9
    n_items = np.where(has_items, 1 + rng.binomial(3, 0.35, n), 0)
    li_deal = np.repeat(np.arange(n), n_items)
    pos = np.arange(li_deal.size) - np.repeat(np.cumsum(n_items) - n_items, n_items)
    offset = rng.integers(0, len(PRODUCTS) - N_PLATFORM, n)[li_deal]
    product = np.where(
        pos == 0, d["seg"][li_deal], N_PLATFORM + (offset + pos - 1) % (len(PRODUCTS) - N_PLATFORM)
    )
    is_service = product >= N_PLATFORM + N_ADDON
    seats = np.exp(rng.uniform(np.log([5, 50, 300]), np.log([50, 300, 2000]))[d["seg"]]).astype(
        np.int64
    )
    quantity = np.where(is_service, rng.integers(1, 4, li_deal.size), seats[li_deal])
    share = np.where(pos == 0, 0.7, 0.3 / np.maximum(n_items[li_deal] - 1, 1))
    share = np.where(n_items[li_deal] == 1, 1.0, share)
    unit_price = np.round(d["amount"][li_deal] * share / quantity, 2)
    single(
        "opportunity_line_items",
        {
            "line_item_id": _ids("li_", li_deal.size, 7),
            "opportunity_id": _take(opp_ids, li_deal),
            "product_id": _take(product_ids, product),
            "quantity": pa.array(quantity.astype(np.float64)),
            "unit_price": _num(unit_price, 2),
        },
    )

    lead_ids = _ids("lead_", leads["n"], 7)
    single(
        "leads",
        {
            "lead_id": lead_ids,
            "created_at": _ts(leads["created"]),
            "lead_source": _take(LEAD_SOURCES, leads["source"]),
            "owner_id": _take(user_ids, leads["owner"]),
            "status": _take(LEAD_STATUSES, leads["status"]),
            "mql_at": _ts(leads["mql"], leads["mql"] < 0),
            "sql_at": _ts(leads["sql"], leads["sql"] < 0),
            "converted_at": _ts(leads["converted"], leads["converted"] < 0),
            "converted_opportunity_id": _take(opp_ids, leads["deal"]),
            "converted_account_id": _take(
                acc_ids, np.where(leads["deal"] >= 0, d["acc"][leads["deal"]], -1)
            ),
            "disqualified_at": _ts(leads["disq"], leads["disq"] < 0),
            "disqualify_reason": _take(DISQUALIFY_REASONS, leads["reason"]),
        },
    )

    contacts_per_acc = 4
    contact_ids = _ids("con_", d["n_acc"] * contacts_per_acc, 7)
    w = writer("activities")
    n_act = 0
    sdr_stats = np.zeros((u["n"], 3))  # dials, connects, meetings
    for ch in _activity_chunks(seed, d, leads, u, contacts_per_acc):
        k = ch["at"].size
        w.write(
            {
                "activity_id": pc.binary_join_element_wise(
                    "act_",
                    pc.utf8_lpad(
                        pa.array(np.arange(n_act + 1, n_act + k + 1)).cast(pa.string()),
                        width=_width(n * 12, 8),
                        padding="0",
                    ),
                    "",
                ),
                "user_id": _take(user_ids, ch["user"]),
                "activity_type": _take(ACTIVITY_TYPES, ch["type"]),
                "activity_at": _ts(ch["at"]),
                "outcome": _take(OUTCOMES, ch["outcome"]),
                "duration_minutes": _num(ch["minutes"], 0),
                "lead_id": _take(lead_ids, ch["lead"]),
                "contact_id": _take(contact_ids, ch["contact"]),
                "account_id": _take(acc_ids, ch["account"]),
                "opportunity_id": _take(opp_ids, ch["opp"]),
            }
        )
        n_act += k
        calls = ch["type"] == 0
        sdr_stats[:, 0] += np.bincount(ch["user"][calls], minlength=u["n"])
        conn = calls & ((ch["outcome"] == 0) | (ch["outcome"] == 3))
        sdr_stats[:, 1] += np.bincount(ch["user"][conn], minlength=u["n"])
        meet = (ch["type"] == 2) | (ch["type"] == 3)
        sdr_stats[:, 2] += np.bincount(ch["user"][meet], minlength=u["n"])
    counts["activities"] = w.close()

    s = _subscriptions(seed, d)
    single(
        "subscriptions",
        {
            "subscription_id": _ids("sub_", s["acc"].size, 6),
            "account_id": _take(acc_ids, s["acc"]),
            "product_id": _take(product_ids, s["product"]),
            "start_date": _date(s["start"]),
            "end_date": _date(s["end"], s["end"] < 0),
            "mrr_amount": _num(s["mrr"], 2),
            "currency_code": _take(CURRENCIES, s["cur"]),
        },
    )

    # targets: quotas from the generated bookings so attainment is realistic
    rate_days, rates = _rates(seed)
    won = np.flatnonzero(d["stage"] == WON)
    won_month = _month_index(d["closed_at"][won])
    won_usd = d["amount"][won] * rates[d["currency"][won], won_month + 1]
    # month of hire relative to 2023-01 (negative when hired earlier)
    hired_month = u["hired_days"].astype("datetime64[D]").astype("datetime64[M]").astype(
        np.int64
    ) - np.datetime64("2023-01", "M").astype(np.int64)
    months = np.arange(N_MONTHS)
    is_ae = u["role"] == "AE"
    is_sdr = u["role"] == "SDR"
    active_months = np.clip(N_MONTHS - np.maximum(hired_month, 0), 0, N_MONTHS)
    t_user, t_month, t_metric, t_value = [], [], [], []
    ae_seg = u["segment"]
    quota_base = np.zeros(3)
    won_base = np.zeros(3)
    for g in range(3):
        ae_months = active_months[is_ae & (ae_seg == g)].sum()
        in_seg = d["seg"][won] == g
        quota_base[g] = np.round(won_usd[in_seg].sum() / max(ae_months, 1) * 1.15, -3)
        won_base[g] = max(1.0, np.round(in_seg.sum() / max(ae_months, 1) * 1.1))
    sdr_months = max(active_months[is_sdr].sum(), 1)
    sdr_targets = {
        "dials": np.round(sdr_stats[is_sdr, 0].sum() / sdr_months * 1.1, -1),
        "connects": np.round(sdr_stats[is_sdr, 1].sum() / sdr_months * 1.1),
        "meetings": max(1.0, np.round(sdr_stats[is_sdr, 2].sum() / sdr_months * 1.1)),
        "opportunities_sourced": max(1.0, np.round((leads["deal"] >= 0).sum() / sdr_months * 1.1)),
    }
    company = np.zeros(N_MONTHS)
    for i in range(u["n"]):
        m = months[months >= hired_month[i]]
        ramp = np.minimum(1.0, (m - hired_month[i] + 1) / 4.0)
        if is_ae[i]:
            quota = np.round(quota_base[ae_seg[i]] * ramp, -2)
            company[m] += quota
            for metric, value in (
                ("bookings_amount", quota),
                ("deals_won", np.maximum(1.0, np.round(won_base[ae_seg[i]] * ramp))),
            ):
                t_user.append(np.full(m.size, i))
                t_month.append(m)
                t_metric.append(np.full(m.size, metric))
                t_value.append(value)
        elif is_sdr[i]:
            for metric, base in sdr_targets.items():
                t_user.append(np.full(m.size, i))
                t_month.append(m)
                t_metric.append(np.full(m.size, metric))
                t_value.append(np.maximum(1.0, np.round(base * ramp)))
    t_user.append(np.full(N_MONTHS, -1))
    t_month.append(months)
    t_metric.append(np.full(N_MONTHS, "bookings_amount"))
    t_value.append(np.round(company * 0.95, -3))
    single(
        "targets",
        {
            "user_id": _take(user_ids, np.concatenate(t_user)),
            "period_month": _date(MONTH_DAYS[np.concatenate(t_month)]),
            "metric": pa.array(np.concatenate(t_metric).tolist(), pa.string()),
            "target_value": _num(np.concatenate(t_value), 2),
        },
    )

    rng = _rng(seed, "marketing_spend")
    growth = (1 + 0.015 * months)[:, None]
    spend = (
        CHANNEL_BASE[None, :]
        * (n / DEFAULT_OPPORTUNITIES)
        * growth
        * rng.lognormal(0, 0.15, (N_MONTHS, len(CHANNELS)))
    )
    single(
        "marketing_spend",
        {
            "period_month": _date(np.repeat(MONTH_DAYS, len(CHANNELS))),
            "channel": _take(CHANNELS, np.tile(np.arange(len(CHANNELS)), N_MONTHS)),
            "spend": _num(spend.ravel(), 2),
        },
    )

    single(
        "exchange_rates",
        {
            "currency_code": _take(
                CURRENCIES, np.repeat(np.arange(len(CURRENCIES)), rate_days.size)
            ),
            "rate_date": _date(np.tile(rate_days, len(CURRENCIES))),
            "rate_to_reporting": _num(rates.ravel(), 6),
        },
    )
    return {name: counts[name] for name in contract.table_names}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate deterministic raw CRM demo data.")
    parser.add_argument("out_dir", type=Path)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--opportunities", type=int)
    size.add_argument("--scale", type=float)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default="csv")
    args = parser.parse_args(argv)
    counts = generate(
        args.out_dir,
        opportunities=args.opportunities,
        scale=args.scale,
        seed=args.seed,
        fmt=args.fmt,
    )
    for name, rows in counts.items():
        print(f"{name}: {rows}")


if __name__ == "__main__":
    main()
