"""leads: the converted ones point at new-business deals; the rest never convert."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from crm_metrics.generate.arrays import Keys, pick_by_month, table_rng, take, ts_array
from crm_metrics.generate.constants import (
    DAY,
    DISQUALIFY_P,
    DISQUALIFY_REASONS,
    LEAD_CONVERSION,
    LEAD_SOURCE_SHARE,
    LEAD_SOURCES,
    LEAD_STATUSES,
    T0,
    T_END,
    TITLES,
)
from crm_metrics.generate.contacts import draw_titles
from crm_metrics.generate.deals import Deals
from crm_metrics.generate.users import Users


@dataclass
class Leads:
    """Per lead (row number = index, sorted by creation); instants in seconds, -1 for none."""

    n: int
    created: np.ndarray
    source: np.ndarray  # index into LEAD_SOURCES
    owner: np.ndarray  # row number of the SDR
    status: np.ndarray  # index into LEAD_STATUSES
    mql: np.ndarray
    sql: np.ndarray
    converted: np.ndarray
    deal: np.ndarray  # row number of the deal it converted into, -1 for none
    disq: np.ndarray
    reason: np.ndarray  # index into DISQUALIFY_REASONS, -1 for none
    converted_at_by_deal: np.ndarray  # per deal: its lead's conversion instant, -1 for none


def make_leads(seed: int, deals: Deals, users: Users) -> Leads:
    """Leads: the converted ones point at new-business deals; the rest never convert."""
    rng = table_rng(seed, "leads")
    n_leads = deals.n
    per_source = np.round(n_leads * LEAD_SOURCE_SHARE).astype(np.int64)
    conv_deal_parts, conv_src_parts = [], []
    for s in range(len(LEAD_SOURCES)):
        cands = np.flatnonzero((deals.opp_type == 0) & (deals.source == s))
        k = min(cands.size, round(per_source[s] * LEAD_CONVERSION[s]))
        conv_deal_parts.append(np.sort(rng.choice(cands, size=k, replace=False)))
        conv_src_parts.append(np.full(k, s))
    conv_deal = np.concatenate(conv_deal_parts)
    n_conv = conv_deal.size
    n_rest = int(per_source.sum()) - n_conv
    rest_src = np.repeat(
        np.arange(len(LEAD_SOURCES)), per_source - np.array([p.size for p in conv_deal_parts])
    )

    deal_created = deals.created[conv_deal]
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
    is_sdr = users.role == "SDR"
    owner = pick_by_month(
        rng,
        created,
        np.zeros(created.size, dtype=np.int64),
        np.where(is_sdr, users.hired_days * DAY, 2**62),
        np.where(is_sdr, 0, -9),
        users.weight,
    )
    neg = np.full(n_rest, -1, dtype=np.int64)
    columns = {
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
    columns = {k: v[order] for k, v in columns.items()}
    converted_at_by_deal = np.full(deals.n, -1, dtype=np.int64)
    converted = columns["deal"] >= 0
    converted_at_by_deal[columns["deal"][converted]] = columns["converted"][converted]
    return Leads(n=created.size, converted_at_by_deal=converted_at_by_deal, **columns)


def lead_columns(leads: Leads, deals: Deals, keys: Keys) -> dict[str, pa.Array]:
    return {
        "lead_id": keys.leads,
        "created_at": ts_array(leads.created),
        "lead_source": take(LEAD_SOURCES, leads.source),
        "owner_id": take(keys.users, leads.owner),
        "status": take(LEAD_STATUSES, leads.status),
        "mql_at": ts_array(leads.mql, leads.mql < 0),
        "sql_at": ts_array(leads.sql, leads.sql < 0),
        "converted_at": ts_array(leads.converted, leads.converted < 0),
        "converted_opportunity_id": take(keys.opportunities, leads.deal),
        "converted_account_id": take(
            keys.accounts, np.where(leads.deal >= 0, deals.acc[leads.deal], -1)
        ),
        "disqualified_at": ts_array(leads.disq, leads.disq < 0),
        "disqualify_reason": take(DISQUALIFY_REASONS, leads.reason),
    }


def lead_v5_columns(seed: int, leads: Leads) -> dict[str, pa.Array]:
    """title and accepted_at (v5), from a stream of their own. accepted_at (SAL) lies between
    MQL (or creation, when MQL was skipped) and SQL: most leads that reached SQL were accepted,
    as were some that reached MQL only (before their disqualification, if any)."""
    rng = table_rng(seed, "leads_v5")
    title = draw_titles(rng, leads.n, 0.1)
    lo = np.where(leads.mql >= 0, leads.mql, leads.created)
    to_sql = (leads.sql >= 0) & (rng.random(leads.n) < 0.85)
    mql_only_hi = np.where(leads.disq >= 0, leads.disq, np.minimum(lo + 20 * DAY, T_END))
    mql_only = (leads.sql < 0) & (leads.mql >= 0) & (rng.random(leads.n) < 0.3)
    hi = np.where(to_sql, leads.sql, mql_only_hi)
    accepted = lo + (rng.random(leads.n) * np.maximum(hi - lo, 0)).astype(np.int64)
    accepted = np.where(to_sql | mql_only, accepted, -1)
    return {
        "title": take([t for t, _ in TITLES], title),
        "accepted_at": ts_array(accepted, accepted < 0),
    }
