"""opportunities, opportunity_history and opportunity_line_items: deals and their simulated
stage paths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_metrics.generate.arrays import (
    Keys,
    date_array,
    id_array,
    num_array,
    pick_by_month,
    table_rng,
    take,
    ts_array,
)
from crm_metrics.generate.constants import (
    CHUNK_ROWS,
    COUNTRIES,
    COUNTRY_CURRENCY,
    COUNTRY_P,
    CURRENCIES,
    DAY,
    DEAL_SOURCES,
    EXISTING_SOURCE_P,
    LAST_OPEN,
    LOSS_REASON_P,
    LOSS_REASONS,
    LOST,
    N_ADDON,
    N_PLATFORM,
    NEW_BUSINESS_SOURCE_P,
    OPP_TYPE_LABEL,
    OPP_TYPES,
    PRODUCTS,
    RATE_START,
    SEGMENT_P,
    STAGE_NAMES,
    T0,
    T_END,
    WON,
)
from crm_metrics.generate.users import Users


class History(NamedTuple):
    """opportunity_history rows, in time order per deal."""

    deal: np.ndarray  # row number of the deal
    changed_at: np.ndarray  # seconds
    stage: np.ndarray  # stage_order
    amount: np.ndarray
    close: np.ndarray  # close date, days
    changed_by: np.ndarray  # row number of the user


@dataclass
class Deals:
    """Per deal (row number = index, sorted by creation), plus the accounts' segment and country
    (drawn here, since deals pick their account) and the history."""

    n: int
    n_acc: int
    acc_segment: np.ndarray
    acc_country: np.ndarray
    acc: np.ndarray  # row number of the account
    seg: np.ndarray  # the account's segment
    currency: np.ndarray  # index into CURRENCIES
    opp_type: np.ndarray  # index into OPP_TYPES
    source: np.ndarray  # index into DEAL_SOURCES
    owner: np.ndarray  # row number of the AE
    presales: np.ndarray  # row number of the SE, -1 for none
    created: np.ndarray  # seconds
    close: np.ndarray  # close date, days
    amount: np.ndarray
    stage: np.ndarray  # stage_order of the current stage
    closed_at: np.ndarray  # seconds, -1 while open
    loss: np.ndarray  # index into LOSS_REASONS, -1 unless lost
    history: History
    hist_t_by_deal: np.ndarray  # history instants sorted by deal, then time
    hist_start: np.ndarray  # each deal's first position in hist_t_by_deal
    hist_count: np.ndarray  # each deal's number of history rows
    shuffle: np.ndarray  # the order history rows are written in (the file is unordered)


def _simulate_paths(
    rng: np.random.Generator,
    seg: np.ndarray,
    created: np.ndarray,
    amount: np.ndarray,
    close: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Each deal's path through the stages, step by step for all deals at once: advances (some
    skipping a stage), regressions, close-date pushes, amount changes, closes and reopenings.
    `amount` and `close` end as each deal's current values. Returns the current stage, the
    instant of the last close (-1 for none) and the history rows (deal, instant, stage,
    amount, close date), in time order per deal."""
    n = created.size
    created_day = created // DAY
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
    return stage, last_close_t, (h_deal, h_t, h_stage, h_amt, h_close)


def make_deals(seed: int, n: int, users: Users) -> Deals:
    """Deal attributes plus the simulated history (rows in time order per deal)."""
    rng = table_rng(seed, "opportunities")
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

    hired_secs = users.hired_days * DAY
    is_ae = users.role == "AE"
    ae_group = np.where(is_ae, users.segment, -9)
    owner = pick_by_month(
        rng, created, seg, np.where(is_ae, hired_secs, 2**62), ae_group, users.weight
    )
    is_se = users.role == "SE"
    se = pick_by_month(
        rng,
        created,
        seg,
        np.where(is_se, hired_secs, 2**62),
        np.where(is_se, users.segment, -9),
        users.weight,
    )
    presales = np.where(rng.random(n) < np.array([0.3, 0.6, 0.85])[seg], se, -1)

    base = np.array([9_000.0, 35_000.0, 140_000.0])[seg] * np.array([1.0, 0.4, 0.8])[opp_type]
    fx = np.array(RATE_START)[currency]
    amount = np.round(base * rng.lognormal(0.0, 0.6, n) / fx, -1).clip(500)
    created_day = created // DAY
    cycle = np.array([45, 75, 120])[seg]
    close = created_day + (cycle * rng.uniform(0.6, 1.4, n)).astype(np.int64)

    stage, last_close_t, (h_deal, h_t, h_stage, h_amt, h_close) = _simulate_paths(
        rng, seg, created, amount, close
    )

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
    by[mgr_edit] = users.manager[by[mgr_edit]]

    is_closed = stage >= WON
    loss = np.where(stage == LOST, rng.choice(len(LOSS_REASONS), size=n, p=LOSS_REASON_P), -1)
    return Deals(
        n=n,
        n_acc=n_acc,
        acc_segment=acc_segment,
        acc_country=acc_country,
        acc=acc,
        seg=seg,
        currency=currency,
        opp_type=opp_type,
        source=source,
        owner=owner,
        presales=presales,
        created=created,
        close=close,
        amount=amount,
        stage=stage,
        closed_at=np.where(is_closed, last_close_t, -1),
        loss=loss,
        history=History(h_deal, h_t, h_stage, h_amt, h_close, by),
        hist_t_by_deal=h_t[by_deal],
        hist_start=hist_start,
        hist_count=hist_count,
        shuffle=rng.permutation(h_deal.size),
    )


def opportunity_columns(deals: Deals, account_names: pa.Array, keys: Keys) -> dict[str, pa.Array]:
    names = pc.binary_join_element_wise(
        take(account_names, deals.acc), take(OPP_TYPE_LABEL, deals.opp_type), " - "
    )
    closed = deals.stage >= WON
    return {
        "opportunity_id": keys.opportunities,
        "account_id": take(keys.accounts, deals.acc),
        "owner_id": take(keys.users, deals.owner),
        "presales_owner_id": take(keys.users, deals.presales),
        "opportunity_name": names,
        "opportunity_type": take(OPP_TYPES, deals.opp_type),
        "lead_source": take(DEAL_SOURCES, deals.source),
        "created_at": ts_array(deals.created),
        "close_date": date_array(deals.close),
        "amount": num_array(deals.amount, 2),
        "currency_code": take(CURRENCIES, deals.currency),
        "stage_name": take(STAGE_NAMES, deals.stage - 1),
        "is_closed": pa.array(closed),
        "is_won": pa.array(deals.stage == WON),
        "loss_reason": take(LOSS_REASONS, deals.loss),
        "closed_at": ts_array(deals.closed_at, deals.closed_at < 0),
    }


def history_batches(deals: Deals, keys: Keys) -> Iterator[dict[str, pa.Array]]:
    """opportunity_history in the shuffled order, CHUNK_ROWS rows at a time."""
    h_deal, h_t, h_stage, h_amt, h_close, h_by = deals.history
    shuffle = deals.shuffle
    for lo in range(0, shuffle.size, CHUNK_ROWS):
        sel = shuffle[lo : lo + CHUNK_ROWS]
        yield {
            "opportunity_id": take(keys.opportunities, h_deal[sel]),
            "changed_at": ts_array(h_t[sel]),
            "stage_name": take(STAGE_NAMES, h_stage[sel] - 1),
            "amount": num_array(h_amt[sel], 2),
            "close_date": date_array(h_close[sel]),
            "changed_by": take(keys.users, h_by[sel]),
            # no two rows of a generated deal share changed_at: nothing to order within one
            "source_order": pa.nulls(sel.size, pa.string()),
        }


def line_item_columns(seed: int, deals: Deals, keys: Keys) -> dict[str, pa.Array]:
    """A platform product for the segment plus distinct add-ons / services."""
    rng = table_rng(seed, "opportunity_line_items")
    has_items = rng.random(deals.n) < 0.9
    n_items = np.where(has_items, 1 + rng.binomial(3, 0.35, deals.n), 0)
    li_deal = np.repeat(np.arange(deals.n), n_items)
    pos = np.arange(li_deal.size) - np.repeat(np.cumsum(n_items) - n_items, n_items)
    offset = rng.integers(0, len(PRODUCTS) - N_PLATFORM, deals.n)[li_deal]
    product = np.where(
        pos == 0, deals.seg[li_deal], N_PLATFORM + (offset + pos - 1) % (len(PRODUCTS) - N_PLATFORM)
    )
    is_service = product >= N_PLATFORM + N_ADDON
    seats = np.exp(rng.uniform(np.log([5, 50, 300]), np.log([50, 300, 2000]))[deals.seg]).astype(
        np.int64
    )
    quantity = np.where(is_service, rng.integers(1, 4, li_deal.size), seats[li_deal])
    share = np.where(pos == 0, 0.7, 0.3 / np.maximum(n_items[li_deal] - 1, 1))
    share = np.where(n_items[li_deal] == 1, 1.0, share)
    unit_price = np.round(deals.amount[li_deal] * share / quantity, 2)
    return {
        "line_item_id": id_array("li_", li_deal.size, 7),
        "opportunity_id": take(keys.opportunities, li_deal),
        "product_id": take(keys.products, product),
        "quantity": pa.array(quantity.astype(np.float64)),
        "unit_price": num_array(unit_price, 2),
    }
