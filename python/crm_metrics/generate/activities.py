"""activities: lead work, deal work, presales and prospecting, generated in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_metrics.generate.arrays import (
    Keys,
    id_width,
    num_array,
    table_rng,
    take,
    ts_array,
    uniform_between,
)
from crm_metrics.generate.constants import (
    ACTIVITY_TYPES,
    CHUNK_ROWS,
    CONTACTS_PER_ACCOUNT,
    DAY,
    OUTCOMES_V5,
    REPLIED,
    T0,
    T_END,
)
from crm_metrics.generate.deals import Deals
from crm_metrics.generate.leads import Leads
from crm_metrics.generate.users import Users


class ActivityChunk(NamedTuple):
    """Activities in time order; entities are row numbers, -1 for none."""

    user: np.ndarray
    type: np.ndarray  # index into ACTIVITY_TYPES
    at: np.ndarray  # seconds
    outcome: np.ndarray  # index into OUTCOMES, -1 for none
    minutes: np.ndarray  # NaN for none
    lead: np.ndarray
    contact: np.ndarray
    account: np.ndarray
    opp: np.ndarray


@dataclass
class RepActivity:
    """Per user: calls, connected calls and meetings or demos, counted while writing (the SDR
    targets follow them)."""

    dials: np.ndarray
    connects: np.ndarray
    meetings: np.ndarray

    @classmethod
    def none(cls, n_users: int) -> RepActivity:
        return cls(np.zeros(n_users), np.zeros(n_users), np.zeros(n_users))

    def add(self, chunk: ActivityChunk) -> None:
        n = self.dials.size
        calls = chunk.type == 0
        self.dials += np.bincount(chunk.user[calls], minlength=n)
        conn = calls & ((chunk.outcome == 0) | (chunk.outcome == 3))
        self.connects += np.bincount(chunk.user[conn], minlength=n)
        meet = (chunk.type == 2) | (chunk.type == 3)
        self.meetings += np.bincount(chunk.user[meet], minlength=n)


def activity_chunks(seed: int, deals: Deals, leads: Leads, users: Users) -> Iterator[ActivityChunk]:
    """Activities as column arrays in chunks: lead work, deal work, presales, prospecting."""
    rng = table_rng(seed, "activities")
    end_deal = np.where(deals.closed_at >= 0, deals.closed_at, T_END)
    conv_or_disq = np.where(leads.converted >= 0, leads.converted, leads.disq)
    end_lead = np.where(
        conv_or_disq >= 0, conv_or_disq, np.minimum(leads.created + 45 * DAY, T_END)
    )
    sources = [
        ("lead", leads.n, 3.4),
        ("deal", deals.n, 2.6),
        ("presales", deals.n, 3.0),
        ("prospect", deals.n, 2.2),
    ]
    step = max(1, CHUNK_ROWS // 4)
    for kind, total, mean in sources:
        for lo in range(0, total, step):
            hi = min(total, lo + step)
            ent = np.arange(lo, hi)
            if kind == "presales":
                ent = ent[deals.presales[ent] >= 0]
            if kind == "prospect":
                n_rows = rng.poisson(mean, ent.size).sum()
                sdr = np.flatnonzero(users.role == "SDR")
                mgr = np.flatnonzero(users.role == "MANAGER")
                pool = np.concatenate([sdr, sdr, sdr, sdr, mgr])
                user = pool[rng.integers(0, pool.size, n_rows)]
                start = np.maximum(T0, users.hired_days[user] * DAY)
                at = uniform_between(rng, start, np.full(n_rows, T_END))
                account = rng.integers(0, deals.n_acc, n_rows)
                account = np.where(rng.random(n_rows) < 0.6, account, -1)
                lead = np.full(n_rows, -1)
                opp = np.full(n_rows, -1)
            else:
                count = rng.poisson(
                    mean + (kind == "lead") * 2.0 * (leads.deal[ent] >= 0)
                    if kind == "lead"
                    else mean,
                    ent.size,
                )
                rep = np.repeat(ent, count)
                n_rows = rep.size
                if kind == "lead":
                    user = leads.owner[rep]
                    at = uniform_between(rng, leads.created[rep], end_lead[rep])
                    lead, account, opp = rep, np.full(n_rows, -1), np.full(n_rows, -1)
                else:
                    user = deals.owner[rep] if kind == "deal" else deals.presales[rep]
                    at = uniform_between(rng, deals.created[rep], end_deal[rep])
                    if kind == "presales" and deals.hist_t_by_deal.size:
                        # about one in eight logged at the instant of one of the deal's history
                        # rows (creation, a stage change, the close)
                        k_hist = deals.hist_count[rep]
                        at_row = (rng.random(n_rows) < 0.12) & (k_hist > 0)
                        pick = deals.hist_start[rep] + (
                            rng.random(n_rows) * np.maximum(k_hist, 1)
                        ).astype(np.int64)
                        pick = np.minimum(pick, deals.hist_t_by_deal.size - 1)  # k_hist 0: unused
                        at = np.where(at_row, deals.hist_t_by_deal[pick], at)
                    # some deal work is logged on the deal only, without the account
                    account = np.where(rng.random(n_rows) < 0.1, -1, deals.acc[rep])
                    lead, opp = np.full(n_rows, -1), rep
                    if kind == "presales":
                        # and some SE time is not on a deal (enablement, internal prep)
                        internal = rng.random(n_rows) < 0.15
                        account = np.where(internal, -1, account)
                        opp = np.where(internal, -1, opp)
            role = users.role[user]
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
            cr = users.connect_rate[user]
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
                account * CONTACTS_PER_ACCOUNT + rng.integers(0, CONTACTS_PER_ACCOUNT, n_rows),
                -1,
            )
            o = np.argsort(at, kind="stable")
            yield ActivityChunk(
                user=user[o],
                type=atype[o],
                at=at[o],
                outcome=outcome[o],
                minutes=minutes[o],
                lead=lead[o],
                contact=contact[o],
                account=account[o],
                opp=opp[o],
            )


def activity_batches(
    seed: int,
    deals: Deals,
    leads: Leads,
    users: Users,
    keys: Keys,
    reps: RepActivity,
    v5: bool = False,
) -> Iterator[dict[str, pa.Array]]:
    """The activities table chunk by chunk, with ids numbered across chunks; counts each
    chunk into `reps`. `v5`: about one email in six got an answer (outcome `replied`), drawn
    from a stream of its own so every other value stays as without."""
    replies = table_rng(seed, "activities_v5") if v5 else None
    n_act = 0
    for chunk in activity_chunks(seed, deals, leads, users):
        k = chunk.at.size
        if replies is not None:
            email = (chunk.type == 1) & (chunk.outcome < 0)
            replied = email & (replies.random(k) < 0.17)
            chunk = chunk._replace(outcome=np.where(replied, REPLIED, chunk.outcome))
        yield {
            "activity_id": pc.binary_join_element_wise(
                "act_",
                pc.utf8_lpad(
                    pa.array(np.arange(n_act + 1, n_act + k + 1)).cast(pa.string()),
                    width=id_width(deals.n * 12, 8),
                    padding="0",
                ),
                "",
            ),
            "user_id": take(keys.users, chunk.user),
            "activity_type": take(ACTIVITY_TYPES, chunk.type),
            "activity_at": ts_array(chunk.at),
            "outcome": take(OUTCOMES_V5, chunk.outcome),
            "duration_minutes": num_array(chunk.minutes, 0),
            "lead_id": take(keys.leads, chunk.lead),
            "contact_id": take(keys.contacts, chunk.contact),
            "account_id": take(keys.accounts, chunk.account),
            "opportunity_id": take(keys.opportunities, chunk.opp),
        }
        n_act += k
        reps.add(chunk)
