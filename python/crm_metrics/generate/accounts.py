"""accounts: the companies deals are sold to."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_metrics.generate.arrays import Keys, pick_by_month, table_rng, take, ts_array
from crm_metrics.generate.constants import (
    COUNTRIES,
    DAY,
    EXTRA_COUNTRIES,
    INDUSTRIES,
    NAME_A,
    NAME_B,
    NAME_C,
    SEGMENTS,
    T0,
    T_END,
    epoch_secs,
)
from crm_metrics.generate.deals import Deals
from crm_metrics.generate.users import Users


@dataclass
class Accounts:
    """Per account (row number = index; segment and country are drawn with the deals)."""

    names: pa.Array
    industry: np.ndarray  # index into INDUSTRIES, -1 for none
    employees: np.ndarray
    no_headcount: np.ndarray
    owner: np.ndarray  # row number of the user
    created: np.ndarray  # seconds


def make_accounts(
    seed: int, deals: Deals, users: Users, converted_at_by_deal: np.ndarray
) -> Accounts:
    """Each account is created before its first deal (at the lead's conversion when a lead
    converted into it) and owned by that deal's AE."""
    rng = table_rng(seed, "accounts")
    n_acc = deals.n_acc
    # deals are sorted by created_at: the first deal of an account is its lowest index
    first_deal = np.full(n_acc, deals.n, dtype=np.int64)
    np.minimum.at(first_deal, deals.acc, np.arange(deals.n))
    has = first_deal < deals.n
    created = epoch_secs("2022-01-01T00:00:00") + (
        rng.random(n_acc) * (T_END - epoch_secs("2022-01-01T00:00:00"))
    ).astype(np.int64)
    lead_time = (rng.uniform(1, 120, n_acc) * DAY).astype(np.int64)
    fd = np.where(has, first_deal, 0)
    from_deal = np.maximum(deals.created[fd] - lead_time, epoch_secs("2022-01-01T00:00:00"))
    conv = converted_at_by_deal[fd]
    from_deal = np.where(conv >= 0, conv, from_deal)  # converted from a lead: created then
    created = np.where(has, from_deal, created)
    is_ae = users.role == "AE"
    owner_fallback = pick_by_month(
        rng,
        np.maximum(created, T0),
        deals.acc_segment,
        np.where(is_ae, users.hired_days * DAY, 2**62),
        np.where(is_ae, users.segment, -9),
        users.weight,
    )
    owner = np.where(has, deals.owner[fd], owner_fallback)
    lo = np.array([10, 200, 2000])[deals.acc_segment]
    hi = np.array([200, 2000, 50000])[deals.acc_segment]
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
    return Accounts(
        names=names,
        industry=industry,
        employees=employees,
        no_headcount=no_headcount,
        owner=owner,
        created=created,
    )


def account_columns(accounts: Accounts, deals: Deals, keys: Keys) -> dict[str, pa.Array]:
    return {
        "account_id": keys.accounts,
        "account_name": accounts.names,
        "industry": take(INDUSTRIES, accounts.industry),
        "employee_count": pa.array(accounts.employees, pa.int64(), mask=accounts.no_headcount),
        "country": take(COUNTRIES, deals.acc_country),
        "segment": take(SEGMENTS, deals.acc_segment),
        "owner_id": take(keys.users, accounts.owner),
        "created_at": ts_array(accounts.created),
    }


def account_countries_v5(seed: int, deals: Deals) -> pa.Array:
    """accounts.country (v5 data): a third of the accounts move to other countries, so every
    region has some (the currency drawn with the deals stays); the first accounts, then about
    one in fifty each, have an empty country, an unmapped one (`ZZ`) or a lower-case one."""
    rng = table_rng(seed, "accounts_v5")
    n_acc = deals.n_acc
    names = np.array([*COUNTRIES, *EXTRA_COUNTRIES, "ZZ"], dtype=object)
    country = np.asarray(deals.acc_country, dtype=np.int64).copy()
    moved = rng.random(n_acc) < 0.33
    country[moved] = len(COUNTRIES) + rng.integers(0, len(EXTRA_COUNTRIES), int(moved.sum()))
    case = rng.choice(4, size=n_acc, p=[0.94, 0.02, 0.02, 0.02])  # as is, empty, ZZ, lower
    case[:3] = [1, 2, 3]
    text = names[country]
    text[case == 2] = "ZZ"
    lower = case == 3
    text[lower] = [value.lower() for value in text[lower]]
    return pa.array(text.tolist(), pa.string(), mask=case == 1)
