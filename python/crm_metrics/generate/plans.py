"""The reference and planning tables: stages, products, targets, marketing_spend and
exchange_rates."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa

from crm_metrics.generate.activities import RepActivity
from crm_metrics.generate.arrays import Keys, date_array, month_index, num_array, table_rng, take
from crm_metrics.generate.constants import (
    CHANNEL_BASE,
    CHANNELS,
    CHANNELS_V5,
    CURRENCIES,
    DEFAULT_OPPORTUNITIES,
    MONTH_DAYS,
    N_MONTHS,
    PRODUCTS,
    RATE_START,
    SALES_COST_CATEGORIES,
    STAGE_NAMES,
    STAGES,
    WON,
)
from crm_metrics.generate.deals import Deals
from crm_metrics.generate.leads import Leads
from crm_metrics.generate.users import Users


class Rates(NamedTuple):
    """Monthly rates to the reporting currency: values[currency, month] for each of days."""

    days: np.ndarray
    values: np.ndarray


def stage_columns() -> dict[str, pa.Array]:
    return {
        "stage_name": pa.array(STAGE_NAMES),
        "stage_order": pa.array([s[1] for s in STAGES], pa.int64()),
        "default_probability": pa.array([s[2] for s in STAGES]),
        "is_closed": pa.array([s[3] for s in STAGES]),
        "is_won": pa.array([s[4] for s in STAGES]),
    }


def product_columns(keys: Keys) -> dict[str, pa.Array]:
    return {
        "product_id": keys.products,
        "product_name": pa.array([p[0] for p in PRODUCTS]),
        "product_family": pa.array([p[1] for p in PRODUCTS]),
        "list_price": pa.array([p[2] for p in PRODUCTS]),
    }


def make_rates(seed: int) -> Rates:
    """Monthly rates from 2022-12-01 to 2025-12-01: a random walk per currency but USD."""
    rng = table_rng(seed, "exchange_rates")
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
    return Rates(days, rates)


# --- entry point ---------------------------------------------------------------------------


def target_columns(
    deals: Deals, users: Users, leads: Leads, reps: RepActivity, rates: Rates, keys: Keys
) -> dict[str, pa.Array]:
    """Quotas from the generated bookings, so attainment is realistic; AEs and SDRs ramp up over
    their first four months, the company target is 95% of the AE quotas."""
    won = np.flatnonzero(deals.stage == WON)
    won_month = month_index(deals.closed_at[won])
    won_usd = deals.amount[won] * rates.values[deals.currency[won], won_month + 1]
    # month of hire relative to 2023-01 (negative when hired earlier)
    hired_month = users.hired_days.astype("datetime64[D]").astype("datetime64[M]").astype(
        np.int64
    ) - np.datetime64("2023-01", "M").astype(np.int64)
    months = np.arange(N_MONTHS)
    is_ae = users.role == "AE"
    is_sdr = users.role == "SDR"
    active_months = np.clip(N_MONTHS - np.maximum(hired_month, 0), 0, N_MONTHS)
    t_user, t_month, t_metric, t_value = [], [], [], []
    ae_seg = users.segment
    quota_base = np.zeros(3)
    won_base = np.zeros(3)
    for g in range(3):
        ae_months = active_months[is_ae & (ae_seg == g)].sum()
        in_seg = deals.seg[won] == g
        quota_base[g] = np.round(won_usd[in_seg].sum() / max(ae_months, 1) * 1.15, -3)
        won_base[g] = max(1.0, np.round(in_seg.sum() / max(ae_months, 1) * 1.1))
    sdr_months = max(active_months[is_sdr].sum(), 1)
    sdr_targets = {
        "dials": np.round(reps.dials[is_sdr].sum() / sdr_months * 1.1, -1),
        "connects": np.round(reps.connects[is_sdr].sum() / sdr_months * 1.1),
        "meetings": max(1.0, np.round(reps.meetings[is_sdr].sum() / sdr_months * 1.1)),
        "opportunities_sourced": max(1.0, np.round((leads.deal >= 0).sum() / sdr_months * 1.1)),
    }
    company = np.zeros(N_MONTHS)
    for i in range(users.n):
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
    return {
        "user_id": take(keys.users, np.concatenate(t_user)),
        "period_month": date_array(MONTH_DAYS[np.concatenate(t_month)]),
        "metric": pa.array(np.concatenate(t_metric).tolist(), pa.string()),
        "target_value": num_array(np.concatenate(t_value), 2),
    }


def marketing_columns(seed: int, n_deals: int) -> dict[str, pa.Array]:
    months = np.arange(N_MONTHS)
    rng = table_rng(seed, "marketing_spend")
    growth = (1 + 0.015 * months)[:, None]
    spend = (
        CHANNEL_BASE[None, :]
        * (n_deals / DEFAULT_OPPORTUNITIES)
        * growth
        * rng.lognormal(0, 0.15, (N_MONTHS, len(CHANNELS)))
    )
    return {
        "period_month": date_array(np.repeat(MONTH_DAYS, len(CHANNELS))),
        "channel": take(CHANNELS, np.tile(np.arange(len(CHANNELS)), N_MONTHS)),
        "spend": num_array(spend.ravel(), 2),
    }


def rate_columns(rates: Rates) -> dict[str, pa.Array]:
    return {
        "currency_code": take(CURRENCIES, np.repeat(np.arange(len(CURRENCIES)), rates.days.size)),
        "rate_date": date_array(np.tile(rates.days, len(CURRENCIES))),
        "rate_to_reporting": num_array(rates.values.ravel(), 6),
    }


def marketing_columns_v5(seed: int, n_deals: int) -> dict[str, pa.Array]:
    """marketing_spend in v5 data: the same amounts, channels spelled as lead sources
    (CHANNELS_V5; Social is no lead's source). Two other spellings of a source: the Event
    channel is `Event ` (a trailing space) in 2024, and from 2025-07 a fifth of Paid Search's
    spend is booked on a second row `paid search`."""
    columns = marketing_columns(seed, n_deals)
    month = np.repeat(np.arange(N_MONTHS), len(CHANNELS))
    channel = np.tile(np.arange(len(CHANNELS)), N_MONTHS)
    names = np.array(CHANNELS_V5, dtype=object)[channel]
    names[(channel == 1) & (month >= 12) & (month < 24)] = "Event "
    cents = np.round(columns["spend"].to_numpy(zero_copy_only=False) * 100).astype(np.int64)
    split = np.flatnonzero((channel == 0) & (month >= 30))
    moved = cents[split] // 5
    cents[split] -= moved
    days = MONTH_DAYS[month]
    return {
        "period_month": date_array(np.concatenate([days, days[split]])),
        "channel": pa.array([*names.tolist(), *["paid search"] * split.size], pa.string()),
        "spend": num_array(np.concatenate([cents, moved]) / 100, 2),
    }


def sales_cost_columns(
    seed: int, n_deals: int, deals: Deals, users: Users, rates: Rates
) -> dict[str, pa.Array]:
    """sales_costs (v5), every month and category, in the reporting currency: salaries of
    the users hired by the month, commissions on the month's bookings, tools per user,
    overhead, other."""
    rng = table_rng(seed, "sales_costs")
    won = np.flatnonzero(deals.stage == WON)
    won_month = month_index(deals.closed_at[won])
    won_usd = deals.amount[won] * rates.values[deals.currency[won], won_month + 1]
    bookings = np.bincount(won_month, weights=won_usd, minlength=N_MONTHS)
    headcount = (users.hired_days[None, :] <= MONTH_DAYS[:, None]).sum(axis=1)
    salaries = headcount * 7_500.0 * rng.uniform(0.97, 1.03, N_MONTHS)
    amounts = np.stack(
        [
            salaries,
            bookings * 0.08,
            headcount * 120.0 * rng.uniform(0.9, 1.1, N_MONTHS),
            salaries * 0.15,
            2_000.0 * (n_deals / DEFAULT_OPPORTUNITIES) * rng.lognormal(0, 0.4, N_MONTHS),
        ],
        axis=1,
    )
    k = len(SALES_COST_CATEGORIES)
    return {
        "period_month": date_array(np.repeat(MONTH_DAYS, k)),
        "category": take(SALES_COST_CATEGORIES, np.tile(np.arange(k), N_MONTHS)),
        "amount": num_array(amounts.ravel(), 2),
    }
