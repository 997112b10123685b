"""Deterministic, vectorised demo / benchmark data generator for the raw CRM contract.

`generate(out_dir, opportunities=3000)` writes one file per contract table (`<table>.csv` or
`<table>.parquet`) with exactly the contract's columns in contract order. Every table is built
from numpy arrays (a `np.random.Generator(PCG64)` per table, seeded from `seed` and the table's
name, so tables do not shift each other); loops run only over simulation steps, months, segments
or users, never over rows. Big tables are written in chunks. Nothing reads the wall clock: the
same seed and size give byte-identical files.

Sizes: `scale=1` is about 100k deals, 600k history rows, 1M activities, 100k leads and 20k
subscriptions (v5: 120k contacts, 150k contact roles, 50k product users, 2.2M usage events
and 57k support tickets); `opportunities=N` sets the deal count and every other table follows
the same ratios. Deals are created 2023-01-01 .. 2025-12-31 and no timestamp is later than
2025-12-31 23:59:59, so the data's as-of date is 2025-12-31.

One module per table family (users, deals with their history and line items, accounts,
leads, activities, subscriptions, plans: stages, products, targets, spend, rates, costs;
contacts with their deal roles; product: product users, usage events and support tickets),
each a named type for what other tables draw on and a function from it to the table's
columns; `writer.TableWriter` writes them all.

v5 (`v5=True`, the default): the tables and columns spec v5 added (V5_TABLES, V5_COLUMNS), plus
values v5 marts read in v4 columns (some emails `replied`, countries of every region,
marketing channels spelled as lead sources). They come from random streams of their own, so
`v5=False` writes a v4 export: the files the generator wrote before v5, byte for byte.

Loads (`loads=True`): every table is a folder `<table>/` holding one part, the first load,
`<table>/20260101T000000Z.<fmt>`, whose rows carry `_loaded_at` = 2026-01-01 00:00:00 UTC
(writer.FIRST_LOAD_AT); `crm_metrics.generate.changes` then adds each later load as a new part.

The bundled demo seeds are `generate(Path("seeds/demo"), opportunities=3000, seed=42)`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from crm_metrics.contract import load_contract
from crm_metrics.generate.accounts import account_columns, account_countries_v5, make_accounts
from crm_metrics.generate.activities import RepActivity, activity_batches
from crm_metrics.generate.arrays import Keys, id_array
from crm_metrics.generate.constants import (
    CONTACTS_PER_ACCOUNT,
    DEALS_PER_SCALE,
    DEFAULT_OPPORTUNITIES,
    PRODUCTS,
    V5_COLUMNS,
    V5_TABLES,
)
from crm_metrics.generate.contacts import contact_columns, contact_role_columns
from crm_metrics.generate.deals import (
    history_batches,
    line_item_columns,
    make_deals,
    opportunity_columns,
)
from crm_metrics.generate.leads import lead_columns, lead_v5_columns, make_leads
from crm_metrics.generate.plans import (
    make_rates,
    marketing_columns,
    marketing_columns_v5,
    product_columns,
    rate_columns,
    sales_cost_columns,
    stage_columns,
    target_columns,
)
from crm_metrics.generate.product import (
    make_product_users,
    product_user_columns,
    product_user_ids,
    support_ticket_columns,
    usage_event_batches,
)
from crm_metrics.generate.subscriptions import (
    make_subscriptions,
    subscription_columns,
    subscription_quantity,
)
from crm_metrics.generate.users import make_users, user_columns
from crm_metrics.generate.writer import FIRST_LOAD_AT, TableWriter

__all__ = ["DEALS_PER_SCALE", "DEFAULT_OPPORTUNITIES", "V5_TABLES", "generate", "main"]


def generate(
    out_dir: Path,
    *,
    opportunities: int | None = None,
    scale: float | None = None,
    seed: int = 42,
    fmt: str = "csv",
    v5: bool = True,
    loads: bool = False,
) -> dict[str, int]:
    """Write every contract table to `out_dir`; returns rows written per table. `v5=False`:
    a v4 export, without the v5 tables and columns (V5_TABLES, V5_COLUMNS), byte for byte the
    files the generator wrote before v5. `loads=True`: each table as the first part of its
    folder, with `_loaded_at` (see the module docstring)."""
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

    def write_table(name: str, batches: Iterable[dict[str, pa.Array]]) -> None:
        omit = () if v5 else V5_COLUMNS.get(name, ())
        writer = TableWriter(out_dir, contract[name], fmt, omit, FIRST_LOAD_AT if loads else None)
        for columns in batches:
            writer.write(columns)
        counts[name] = writer.close()

    users = make_users(seed, n)
    deals = make_deals(seed, n, users)
    leads = make_leads(seed, deals, users)
    accounts = make_accounts(seed, deals, users, leads.converted_at_by_deal)
    subs = make_subscriptions(seed, deals)
    rates = make_rates(seed)
    keys = Keys(
        users=id_array("usr_", users.n, 4),
        accounts=id_array("acc_", deals.n_acc, 6),
        opportunities=id_array("opp_", n, 7),
        products=id_array("prd_", len(PRODUCTS), 3),
        leads=id_array("lead_", leads.n, 7),
        contacts=id_array("con_", deals.n_acc * CONTACTS_PER_ACCOUNT, 7),
    )
    reps = RepActivity.none(users.n)

    accounts_table = account_columns(accounts, deals, keys)
    leads_table = lead_columns(leads, deals, keys)
    subscriptions_table = subscription_columns(subs, keys)
    if v5:
        # every v5 value comes from streams of its own: the v4 values stay as without v5
        accounts_table["country"] = account_countries_v5(seed, deals)
        leads_table.update(lead_v5_columns(seed, leads))
        subscriptions_table["quantity"] = subscription_quantity(seed, subs)

    write_table("users", [user_columns(users, keys)])
    write_table("stages", [stage_columns()])
    write_table("products", [product_columns(keys)])
    write_table("accounts", [accounts_table])
    write_table("opportunities", [opportunity_columns(deals, accounts.names, keys)])
    write_table("opportunity_history", history_batches(deals, keys))
    write_table("opportunity_line_items", [line_item_columns(seed, deals, keys)])
    write_table("leads", [leads_table])
    write_table("activities", activity_batches(seed, deals, leads, users, keys, reps, v5))
    write_table("subscriptions", [subscriptions_table])
    # after activities: the SDR targets follow the activity counted while writing it
    write_table("targets", [target_columns(deals, users, leads, reps, rates, keys)])
    write_table(
        "marketing_spend",
        [marketing_columns_v5(seed, n) if v5 else marketing_columns(seed, n)],
    )
    write_table("exchange_rates", [rate_columns(rates)])
    if v5:
        product_users = make_product_users(seed, subs)
        user_ids = product_user_ids(product_users)
        write_table("contacts", [contact_columns(seed, deals.n_acc, accounts.created, keys)])
        write_table("opportunity_contact_roles", [contact_role_columns(seed, deals, keys)])
        write_table("sales_costs", [sales_cost_columns(seed, n, deals, users, rates)])
        write_table("product_users", [product_user_columns(product_users, keys)])
        write_table("usage_events", usage_event_batches(seed, product_users, user_ids))
        write_table(
            "support_tickets",
            [support_ticket_columns(seed, subs, product_users, user_ids, keys)],
        )
    return {name: counts[name] for name in contract.table_names if name in counts}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate deterministic raw CRM demo data.")
    parser.add_argument("out_dir", type=Path)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--opportunities", type=int)
    size.add_argument("--scale", type=float)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default="csv")
    parser.add_argument(
        "--no-v5", dest="v5", action="store_false", help="a v4 export: no v5 tables or columns"
    )
    parser.add_argument(
        "--loads",
        action="store_true",
        help="every table a folder of parts, this first load its one part (with _loaded_at)",
    )
    args = parser.parse_args(argv)
    counts = generate(
        args.out_dir,
        opportunities=args.opportunities,
        scale=args.scale,
        seed=args.seed,
        fmt=args.fmt,
        v5=args.v5,
        loads=args.loads,
    )
    for name, rows in counts.items():
        print(f"{name}: {rows}")


if __name__ == "__main__":
    main()
