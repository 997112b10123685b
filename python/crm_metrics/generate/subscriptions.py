"""subscriptions: recurring revenue of the accounts that bought."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from crm_metrics.generate.arrays import Keys, date_array, id_array, num_array, table_rng, take
from crm_metrics.generate.constants import CURRENCIES, D_END, DAY, PRODUCTS, WON
from crm_metrics.generate.deals import Deals


@dataclass
class Subscriptions:
    """Per subscription period, sorted by account then start; days, -1 for an open end."""

    acc: np.ndarray  # row number of the account
    product: np.ndarray  # row number of the platform product
    start: np.ndarray
    end: np.ndarray
    mrr: np.ndarray
    cur: np.ndarray  # index into CURRENCIES


def make_subscriptions(seed: int, deals: Deals) -> Subscriptions:
    """From each account's first won deal: periods that end in an upgrade, a downgrade or a
    churn (then maybe a return), until the data ends."""
    rng = table_rng(seed, "subscriptions")
    won = np.flatnonzero(deals.stage == WON)
    order = won[np.lexsort((deals.closed_at[won], deals.acc[won]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = deals.acc[order[1:]] != deals.acc[order[:-1]]
    deal = order[first]
    acc = deals.acc[deal]
    close_day = deals.closed_at[deal] // DAY
    start = close_day + rng.integers(0, 15, deal.size)
    month_start = start.astype("datetime64[D]").astype("datetime64[M]")
    next_month = (month_start + 1).astype("datetime64[D]").astype(np.int64)
    start = np.where(rng.random(deal.size) < 0.5, next_month, start)
    start = np.where(start > D_END, close_day, start)
    mrr = np.round(deals.amount[deal] / 12.0, 2)
    cur = deals.currency[deal]
    product = deals.seg[deal]
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
    return Subscriptions(
        acc=cols[0][o],
        product=cols[1][o],
        start=cols[2][o],
        end=cols[3][o],
        mrr=cols[4][o],
        cur=cols[5][o],
    )


def subscription_columns(subs: Subscriptions, keys: Keys) -> dict[str, pa.Array]:
    return {
        "subscription_id": id_array("sub_", subs.acc.size, 6),
        "account_id": take(keys.accounts, subs.acc),
        "product_id": take(keys.products, subs.product),
        "start_date": date_array(subs.start),
        "end_date": date_array(subs.end, subs.end < 0),
        "mrr_amount": num_array(subs.mrr, 2),
        "currency_code": take(CURRENCIES, subs.cur),
    }


def subscription_quantity(seed: int, subs: Subscriptions) -> pa.Array:
    """quantity (v5): seats, the MRR over the platform's list price per seat (at least one);
    about one subscription in twelve without (unknown)."""
    rng = table_rng(seed, "subscriptions_v5")
    price = np.array([p[2] for p in PRODUCTS])[subs.product]
    seats = np.maximum(1, np.round(subs.mrr / price)).astype(np.float64)
    unknown = rng.random(subs.acc.size) < 0.08
    return pa.array(seats, pa.float64(), mask=unknown)
