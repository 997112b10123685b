"""users: the sales organisation (one row per user)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from crm_metrics.generate.arrays import Keys, date_array, table_rng, take
from crm_metrics.generate.constants import FIRST_NAMES, LAST_NAMES, SEGMENTS, epoch_days


@dataclass
class Users:
    """Per user (row number = index): attributes written to `users` and the ones other tables
    draw on (hire day, connect rate, how much work a user gets)."""

    n: int
    role: np.ndarray  # "MANAGER", "AE", "SDR", "SE", "OTHER"
    manager: np.ndarray  # row number of the manager, -1 for none
    team: list[str]
    segment: np.ndarray  # index into SEGMENTS, -1 for none
    hired_days: np.ndarray
    full_name: list[str]
    email: list[str]
    active: np.ndarray
    connect_rate: np.ndarray  # share of calls that connect
    weight: np.ndarray  # relative share of the work


def make_users(seed: int, n_deals: int) -> Users:
    """A VP, team managers, AEs, SDRs, SEs and two ops users, hired over the years."""
    rng = table_rng(seed, "users")
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

    early = epoch_days("2018-01-01"), epoch_days("2022-06-30")
    late = epoch_days("2023-01-01"), epoch_days("2025-06-30")

    def hire(early_only: bool) -> int:
        lo, hi = early if early_only or rng.random() < 0.6 else late
        return int(rng.integers(lo, hi))

    vp = add("MANAGER", -1, "Leadership", -1, epoch_days("2017-09-01"))
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
    add("OTHER", vp, "Operations", -1, epoch_days("2019-04-01"))
    add("OTHER", vp, "Operations", -1, epoch_days("2020-02-01"))
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
    return Users(
        n=n,
        role=role_arr,
        manager=np.array(manager),
        team=team,
        segment=np.array(segment),
        hired_days=np.array(hired, dtype=np.int64),
        full_name=full,
        email=email,
        active=active,
        connect_rate=connect,
        weight=rng.lognormal(0.0, 0.35, n),
    )


def user_columns(users: Users, keys: Keys) -> dict[str, pa.Array]:
    ids = keys.users
    return {
        "user_id": ids,
        "full_name": pa.array(users.full_name, pa.string()),
        "email": pa.array(users.email, pa.string()),
        "role": pa.array(list(users.role), pa.string()),
        "manager_id": take(ids, users.manager),
        "team": pa.array(users.team, pa.string()),
        "segment": take(SEGMENTS, users.segment),
        "hired_on": date_array(users.hired_days),
        "is_active": pa.array(users.active, pa.bool_()),
    }
