"""product_users, usage_events and support_tickets (v5): the product and support systems next to
the CRM.

The accounts that subscribed use the product from their first subscription to their last
(open: to the data's end); a few users and tickets have no account. Each table has its own
random stream. Boundary cases are planted on fixed users whatever the size (PLANTED).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_metrics.generate.arrays import (
    Keys,
    id_array,
    id_width,
    num_array,
    table_rng,
    take,
    ts_array,
)
from crm_metrics.generate.constants import (
    CHUNK_ROWS,
    CONTACTS_PER_ACCOUNT,
    D_END,
    DAY,
    EVENT_RATE,
    EVENT_TYPES,
    HOURS_TO_CLOSE,
    PRIORITIES,
    PRIORITY_P,
    T0,
    T_END,
    epoch_secs,
)
from crm_metrics.generate.subscriptions import Subscriptions

HOUR = 3_600
SESSION = EVENT_TYPES.index("session")
LOGIN = EVENT_TYPES.index("login")
# Planted users (row numbers before sorting by signup, after the drawn ones are made):
# 0 activated exactly 48 hours after signup; 1 one second later; 2 activated 60 days before
# the data's last day (its churn window ends on the as-of date) with an event at exactly
# activation + 60 days; 3 an early churner whose last event is at exactly activation + 30 days
# (outside the window (30, 60]); 4 a user whose only event in the window is at exactly
# activation + 60 days (not churned); 5 never activated.
N_PLANTED = 6
AS_OF_ACTIVATION = epoch_secs("2025-11-01T10:00:00")
EARLY_SIGNUP = epoch_secs("2025-03-03T09:00:00")


@dataclass
class Customers:
    """The accounts with a subscription: row number, first start and usage end (seconds)."""

    acc: np.ndarray
    start: np.ndarray
    end: np.ndarray


def customers(subs: Subscriptions) -> Customers:
    acc, first = np.unique(subs.acc, return_index=True)
    end_day = np.where(subs.end < 0, D_END + 1, subs.end)
    last = np.full(acc.size, 0, dtype=np.int64)
    np.maximum.at(last, np.searchsorted(acc, subs.acc), end_day)
    start = subs.start[first] * DAY
    return Customers(acc=acc, start=start, end=np.minimum(last * DAY, T_END))


@dataclass
class ProductUsers:
    """Per product user (row number = index, sorted by signup); seconds, -1 for none."""

    n: int
    acc: np.ndarray  # row number of the account, -1 for none
    contact: np.ndarray  # row number of the contact, -1 for none
    signed_up: np.ndarray
    activated: np.ndarray
    usage_end: np.ndarray  # the last instant the account uses the product
    planted: np.ndarray  # row number of each planted user (PLANTED order)


def make_product_users(seed: int, subs: Subscriptions) -> ProductUsers:
    rng = table_rng(seed, "product_users")
    cust = customers(subs)
    per = 1 + rng.binomial(6, 0.35, cust.acc.size)
    owner = np.repeat(np.arange(cust.acc.size), per)
    n_free = max(N_PLANTED, round(owner.size * 0.05))
    n = owner.size + n_free
    acc = np.concatenate([cust.acc[owner], np.full(n_free, -1)])
    lo = np.concatenate([cust.start[owner], np.full(n_free, T0)])
    usage_end = np.concatenate([cust.end[owner], np.full(n_free, T_END)])
    signed_up = lo + (rng.exponential(45, n) * DAY).astype(np.int64) + rng.integers(0, DAY, n)
    late = signed_up > usage_end
    signed_up[late] = lo[late] + (rng.random(int(late.sum())) * (usage_end - lo)[late]).astype(
        np.int64
    )
    contact = np.where(
        (acc >= 0) & (rng.random(n) < 0.4),
        acc * CONTACTS_PER_ACCOUNT + rng.integers(0, CONTACTS_PER_ACCOUNT, n),
        -1,
    )
    kind = rng.choice(3, size=n, p=[0.55, 0.25, 0.2])  # within 48 h, later, never
    delay = np.where(
        kind == 0,
        rng.integers(0, 48 * HOUR, n),
        48 * HOUR + 1 + (rng.random(n) * 28 * DAY).astype(np.int64),
    )
    activated = np.where(kind < 2, signed_up + delay, -1)
    # the planted users: free users (the last rows), so they exist at every size
    planted = np.arange(n - N_PLANTED, n)
    p0, p1, p2, p3, p4, p5 = planted
    signed_up[[p0, p1]] = epoch_secs("2024-05-06T08:15:00")
    activated[p0] = signed_up[p0] + 48 * HOUR
    activated[p1] = signed_up[p1] + 48 * HOUR + 1
    signed_up[p2] = AS_OF_ACTIVATION - DAY
    activated[p2] = AS_OF_ACTIVATION
    signed_up[[p3, p4]] = EARLY_SIGNUP
    activated[[p3, p4]] = EARLY_SIGNUP + 2 * HOUR
    activated[p5] = -1
    activated = np.where(activated > T_END, -1, activated)
    order = np.argsort(signed_up, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return ProductUsers(
        n=n,
        acc=acc[order],
        contact=contact[order],
        signed_up=signed_up[order],
        activated=activated[order],
        usage_end=usage_end[order],
        planted=rank[planted],
    )


def product_user_columns(users: ProductUsers, keys: Keys) -> dict[str, pa.Array]:
    return {
        "product_user_id": product_user_ids(users),
        "account_id": take(keys.accounts, users.acc),
        "contact_id": take(keys.contacts, users.contact),
        "signed_up_at": ts_array(users.signed_up),
        "activated_at": ts_array(users.activated, users.activated < 0),
    }


def product_user_ids(users: ProductUsers) -> pa.Array:
    return id_array("pu_", users.n, 6)


def _usage(seed: int, users: ProductUsers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, instant, event type) of every event, unsorted: each activated user is active
    from activation to an end (the account's usage end; earlier for those who drop out; early
    churners stop within 30 days, a quarter of them coming back after day 60), with a login
    at activation and events at a per-user rate in between."""
    rng = table_rng(seed, "usage_events")
    active = np.flatnonzero(users.activated >= 0)
    active = active[~np.isin(active, users.planted)]
    start = users.activated[active]
    end = users.usage_end[active].copy()
    u = rng.random(active.size)
    early = u < 0.2
    drop = (u >= 0.2) & (u < 0.35)
    end[early] = start[early] + (rng.uniform(1, 29.9, int(early.sum())) * DAY).astype(np.int64)
    end[drop] = start[drop] + (rng.exponential(200, int(drop.sum())) * DAY).astype(np.int64)
    end = np.clip(end, start, users.usage_end[active])
    back = early & (rng.random(active.size) < 0.25)
    back_start = start + 61 * DAY
    back &= back_start < users.usage_end[active]
    intensity = rng.lognormal(0.0, 0.5, active.size)
    parts_user, parts_at, parts_type = [active], [start], [np.full(active.size, LOGIN)]
    for lo, hi, who in ((start, end, np.ones(active.size, bool)), (back_start, None, back)):
        sel = np.flatnonzero(who)
        hi_sel = users.usage_end[active[sel]] if hi is None else hi[sel]
        days = np.maximum(hi_sel - lo[sel], 0) / DAY
        for t, rate in enumerate(EVENT_RATE):
            count = rng.poisson(rate * days * intensity[sel])
            rep = np.repeat(np.arange(sel.size), count)
            span = (hi_sel - lo[sel])[rep]
            parts_user.append(active[sel][rep])
            parts_at.append(lo[sel][rep] + (rng.random(rep.size) * span).astype(np.int64))
            parts_type.append(np.full(rep.size, t))
    # the planted users' events
    p0, p1, p2, p3, p4, _ = users.planted
    act = users.activated
    planted_events = [
        (p0, act[p0], LOGIN),
        (p0, act[p0] + 3 * DAY, SESSION),
        (p1, act[p1], LOGIN),
        (p2, act[p2], LOGIN),
        (p2, act[p2] + 60 * DAY, SESSION),
        (p3, act[p3], LOGIN),
        (p3, act[p3] + 10 * DAY, SESSION),
        (p3, act[p3] + 30 * DAY, LOGIN),
        (p4, act[p4], LOGIN),
        (p4, act[p4] + 20 * DAY, SESSION),
        (p4, act[p4] + 60 * DAY, LOGIN),
        (p4, act[p4] + 90 * DAY, SESSION),
    ]
    parts_user.append(np.array([e[0] for e in planted_events]))
    parts_at.append(np.array([e[1] for e in planted_events]))
    parts_type.append(np.array([e[2] for e in planted_events]))
    return np.concatenate(parts_user), np.concatenate(parts_at), np.concatenate(parts_type)


def usage_event_batches(
    seed: int, users: ProductUsers, user_ids: pa.Array
) -> Iterator[dict[str, pa.Array]]:
    """usage_events in time order, CHUNK_ROWS rows at a time; sessions have a duration in
    minutes (about one in twenty without), other events none."""
    rng = table_rng(seed, "usage_events_duration")
    user, at, kind = _usage(seed, users)
    order = np.lexsort((kind, user, at))
    user, at, kind = user[order], at[order], kind[order]
    minutes = np.round(rng.lognormal(np.log(18.0), 0.7, at.size), 1)
    minutes = np.where((kind == SESSION) & (rng.random(at.size) >= 0.05), minutes, np.nan)
    width = id_width(at.size, 7)
    for lo in range(0, max(at.size, 1), CHUNK_ROWS):
        hi = min(at.size, lo + CHUNK_ROWS)
        digits = pa.array(np.arange(lo + 1, hi + 1, dtype=np.int64)).cast(pa.string())
        yield {
            "event_id": _prefixed("evt_", digits, width),
            "product_user_id": user_ids.take(pa.array(user[lo:hi])),
            "event_at": ts_array(at[lo:hi]),
            "event_type": take(EVENT_TYPES, kind[lo:hi]),
            "duration_minutes": num_array(minutes[lo:hi], 1),
        }


def _prefixed(prefix: str, digits: pa.Array, width: int) -> pa.Array:
    padded = pc.utf8_lpad(digits, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def support_ticket_columns(
    seed: int, subs: Subscriptions, users: ProductUsers, user_ids: pa.Array, keys: Keys
) -> dict[str, pa.Array]:
    """Tickets of the subscribing accounts over their usage (more for accounts with more
    users), a few without an account; every priority; urgent ones close fastest; some are
    still open (closing after the data's end, or never)."""
    rng = table_rng(seed, "support_tickets")
    cust = customers(subs)
    users_per_acc = np.bincount(users.acc[users.acc >= 0], minlength=len(keys.accounts))
    months = np.maximum(cust.end - cust.start, 0) / (30 * DAY)
    count = rng.poisson(0.12 * months * (1 + users_per_acc[cust.acc] / 3))
    owner = np.repeat(np.arange(cust.acc.size), count)
    n_free = max(4, round(owner.size * 0.04))
    n = owner.size + n_free
    acc = np.concatenate([cust.acc[owner], np.full(n_free, -1)])
    lo = np.concatenate([cust.start[owner], np.full(n_free, T0)])
    hi = np.concatenate([cust.end[owner], np.full(n_free, T_END)])
    created = lo + (rng.random(n) * np.maximum(hi - lo, 0)).astype(np.int64)
    priority = rng.choice(len(PRIORITIES), size=n, p=PRIORITY_P)
    priority[: len(PRIORITIES)] = np.arange(len(PRIORITIES))[: min(n, len(PRIORITIES))]
    hours = HOURS_TO_CLOSE[priority] * rng.lognormal(0.0, 0.8, n)
    closed = created + (hours * HOUR).astype(np.int64) + 60
    never = rng.random(n) < 0.02
    is_open = never | (closed > T_END)
    is_open[n - 1] = True  # at least one open ticket (the last drawn, without an account)
    status = np.where(is_open, np.where(rng.random(n) < 0.8, 0, 1), 2)
    contact = np.where(
        (acc >= 0) & (rng.random(n) < 0.5),
        acc * CONTACTS_PER_ACCOUNT + rng.integers(0, CONTACTS_PER_ACCOUNT, n),
        -1,
    )
    # a product user of the ticket's account, for about two tickets in five
    by_acc = np.argsort(users.acc, kind="stable")
    first = np.searchsorted(users.acc[by_acc], np.maximum(acc, 0))
    n_users = np.where(acc >= 0, users_per_acc[np.maximum(acc, 0)], 0)
    pick = first + (rng.random(n) * np.maximum(n_users, 1)).astype(np.int64)
    pick = np.minimum(pick, max(users.n - 1, 0))
    user = np.where((n_users > 0) & (rng.random(n) < 0.4), by_acc[pick], -1)
    order = np.argsort(created, kind="stable")
    return {
        "ticket_id": id_array("tkt_", n, 6),
        "account_id": take(keys.accounts, acc[order]),
        "contact_id": take(keys.contacts, contact[order]),
        "product_user_id": take(user_ids, user[order]),
        "created_at": ts_array(created[order]),
        "closed_at": ts_array(closed[order], is_open[order]),
        "priority": take(PRIORITIES, priority[order]),
        "status": take(["open", "pending", "closed"], status[order]),
    }
