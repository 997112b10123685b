"""contacts and opportunity_contact_roles (v5): the people at accounts and their roles on deals.

Contact `account * CONTACTS_PER_ACCOUNT + j` (j < CONTACTS_PER_ACCOUNT) works at `account`:
the ids activities already point at. Titles are drawn from TITLES; the first contacts take
every title once, so each persona and each edge case is there at any size.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_metrics.generate.arrays import Keys, table_rng, take, ts_array
from crm_metrics.generate.constants import (
    CONTACT_ROLES,
    CONTACTS_PER_ACCOUNT,
    DAY,
    FIRST_NAMES,
    LAST_NAMES,
    T_END,
    TITLES,
)
from crm_metrics.generate.deals import Deals


def draw_titles(rng: np.random.Generator, n: int, null_share: float) -> np.ndarray:
    """Index into TITLES per row (-1 for none): every title once first, then by weight."""
    weight = np.array([w for _, w in TITLES], dtype=np.float64)
    title = rng.choice(len(TITLES), size=n, p=weight / weight.sum())
    title = np.where(rng.random(n) < null_share, -1, title)
    planted = min(n, len(TITLES))
    title[:planted] = np.arange(planted)
    if n > len(TITLES):
        title[len(TITLES)] = -1  # an empty title, whatever the size
    return title


def contact_columns(
    seed: int, n_acc: int, account_created: np.ndarray, keys: Keys
) -> dict[str, pa.Array]:
    """Every contact the activities point at, created within 60 days of its account."""
    rng = table_rng(seed, "contacts")
    n = n_acc * CONTACTS_PER_ACCOUNT
    account = np.arange(n) // CONTACTS_PER_ACCOUNT
    first = pa.array(FIRST_NAMES).take(pa.array(rng.integers(0, len(FIRST_NAMES), n)))
    last = pa.array(LAST_NAMES).take(pa.array(rng.integers(0, len(LAST_NAMES), n)))
    title = draw_titles(rng, n, 0.06)
    created = np.minimum(
        account_created[account] + (rng.uniform(0, 60, n) * DAY).astype(np.int64), T_END
    )
    return {
        "contact_id": keys.contacts,
        "account_id": take(keys.accounts, account),
        "full_name": pc.binary_join_element_wise(first, last, " "),
        "title": take([t for t, _ in TITLES], title),
        "created_at": ts_array(created),
    }


def contact_role_columns(seed: int, deals: Deals, keys: Keys) -> dict[str, pa.Array]:
    """One to three contacts of the deal's account per deal (about one deal in seven has
    none); the first is usually primary, some deals have no primary contact and some have two;
    a few contacts hold two roles on one deal."""
    rng = table_rng(seed, "opportunity_contact_roles")
    n = deals.n
    has_roles = rng.random(n) >= 0.15
    count = np.where(has_roles, 1 + rng.binomial(2, 0.35, n), 0)
    deal = np.repeat(np.arange(n), count)
    pos = np.arange(deal.size) - np.repeat(np.cumsum(count) - count, count)
    start = rng.integers(0, CONTACTS_PER_ACCOUNT, n)[deal]
    contact = deals.acc[deal] * CONTACTS_PER_ACCOUNT + (start + pos) % CONTACTS_PER_ACCOUNT
    role = rng.integers(0, len(CONTACT_ROLES), deal.size)
    role = np.where(rng.random(deal.size) < 0.03, -1, role)
    first_primary = rng.random(n) < 0.88
    two_primary = rng.random(n) < 0.04
    multi = np.flatnonzero(count >= 2)
    if multi.size:
        two_primary[multi[0]] = True  # at least one deal with two primary contacts
        first_primary[multi[0]] = True
    primary = np.where(pos == 0, first_primary[deal], (pos == 1) & two_primary[deal])
    # a few contacts with a second role on the same deal (another role, never primary)
    again = np.flatnonzero((rng.random(deal.size) < 0.02) & (role >= 0))
    deal = np.concatenate([deal, deal[again]])
    contact = np.concatenate([contact, contact[again]])
    role = np.concatenate([role, (role[again] + 1) % len(CONTACT_ROLES)])
    primary = np.concatenate([primary, np.zeros(again.size, dtype=bool)])
    order = np.lexsort((role, contact, deal))
    return {
        "opportunity_id": take(keys.opportunities, deal[order]),
        "contact_id": take(keys.contacts, contact[order]),
        "role": take(CONTACT_ROLES, role[order]),
        "is_primary": pa.array(primary[order], pa.bool_()),
    }
