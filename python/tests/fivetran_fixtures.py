"""Small connector-shaped fixtures: tables as Fivetran's Salesforce and HubSpot connectors write
them (their table and column names, `_fivetran_*` columns, deleted rows, a column the schema
lacks), and the same business facts hand-written in the raw contract's shape.

Both describe one story, small enough to work the marts out by hand (see the tests):

- one AE (Ava), one SE (Sam), one manager (Max); accounts Acme and Globex, plus a deleted one;
- deal A (Acme, Ava): created 2024-01-05, Prospecting, Proposal on 01-20, won 1,000 on 02-20;
- deal B (Globex, Ava): created 2024-01-10, Prospecting, lost 500 on 02-15;
- deal C (Acme, Ava): created 2024-02-01 at 1,500, Proposal at 2,000 on 02-10, open;
- deal D (Globex) is deleted in the CRM, deal E is on the deleted account: both rejected;
- two calls and a meeting by Ava, a deleted call; two leads, one converted into deal A.

HubSpot tells more of deal C (deal_property_history): its close date was 03-20 at first,
pushed to 04-30 on 03-05, and its amount cut from 2,000 to 1,800 on 03-10; Ava also sent an
email, and an email of Sam's was deleted.

The contract side leaves out what the CRM deleted (the contract has no deleted flag): the
marts must be the same either way. history_mode() turns any of the connector tables into
Fivetran history mode's versions of the same records.

Column lists follow the connectors' published shapes: Fivetran's dbt_salesforce_source
(macros/get_<table>_columns.sql, models/salesforce_history/src_salesforce_history.yml for
history mode) and dbt_hubspot_source (macros/get_<table>_columns.sql and
integration_tests/seeds/<table>_data.csv); each table has a subset of those columns (plus
those the package leaves out but the connector syncs, such as account.created_date).
Salesforce's opportunity_history and opportunity_stage are the OpportunityHistory and
OpportunityStage objects (Id, OpportunityId, CreatedDate, StageName, Amount, CloseDate,
CreatedById, Probability, ExpectedRevenue, IsDeleted; MasterLabel, ApiName, SortOrder,
DefaultProbability, IsClosed, IsWon) in the connector's snake_case.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

import duckdb

SYNCED = "2024-03-31 23:00:00"

# ---------------------------------------------------------------------------------------------
# Fivetran Salesforce: table -> (column definitions, rows). Columns as the connector names them.

SALESFORCE: dict[str, tuple[str, list[tuple]]] = {
    "user": (
        # no profile_id: this org's schema lacks it (and has no profile table)
        "id varchar, name varchar, first_name varchar, last_name varchar, email varchar, "
        "user_role_id varchar, manager_id varchar, department varchar, is_active boolean, "
        "created_date timestamp, _fivetran_synced timestamp",
        [
            (
                "005AVA",
                "Ava Reed",
                "Ava",
                "Reed",
                "ava@example.com",
                "00EAE",
                "005MAX",
                "West",
                True,
                "2023-01-02 08:00:00",
                SYNCED,
            ),
            (
                "005SAM",
                "Sam Cole",
                "Sam",
                "Cole",
                "sam@example.com",
                "00ESE",
                "005MAX",
                "West",
                True,
                "2023-02-01 08:00:00",
                SYNCED,
            ),
            (
                "005MAX",
                "Max Dunn",
                "Max",
                "Dunn",
                "max@example.com",
                "00EVP",
                None,
                "West",
                True,
                "2022-06-01 08:00:00",
                SYNCED,
            ),
        ],
    ),
    "user_role": (
        "id varchar, name varchar, parent_role_id varchar, _fivetran_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            ("00EAE", "Account Executive West", "00EVP", False, SYNCED),
            ("00ESE", "Solutions Engineer", "00EVP", False, SYNCED),
            ("00EVP", "VP Sales", None, False, SYNCED),
        ],
    ),
    "account": (
        # no billing_country: a column this schema lacks (optional, comes back null)
        "id varchar, name varchar, industry varchar, number_of_employees integer, "
        "owner_id varchar, type varchar, created_date timestamp, is_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (
                "001ACME",
                "Acme",
                "Manufacturing",
                120,
                "005AVA",
                "Customer",
                "2023-11-01 10:00:00",
                False,
                SYNCED,
            ),
            (
                "001GLOBEX",
                "Globex",
                "Energy",
                40,
                "005AVA",
                "Prospect",
                "2023-12-01 10:00:00",
                False,
                SYNCED,
            ),
            (
                "001GONE",
                "Initech",
                "Software",
                10,
                "005AVA",
                "Prospect",
                "2023-12-05 10:00:00",
                True,
                SYNCED,
            ),
        ],
    ),
    "opportunity_stage": (
        "id varchar, master_label varchar, api_name varchar, sort_order integer, "
        "default_probability double, is_closed boolean, is_won boolean, is_active boolean, "
        "forecast_category_name varchar, _fivetran_synced timestamp",
        [
            (
                "01JPRO",
                "Prospecting",
                "Prospecting",
                1,
                10.0,
                False,
                False,
                True,
                "Pipeline",
                SYNCED,
            ),
            ("01JPRP", "Proposal", "Proposal", 2, 50.0, False, False, True, "Best Case", SYNCED),
            ("01JWON", "Closed Won", "Closed Won", 3, 100.0, True, True, True, "Closed", SYNCED),
            ("01JLST", "Closed Lost", "Closed Lost", 4, 0.0, True, False, True, "Omitted", SYNCED),
        ],
    ),
    "opportunity": (
        # no currency_iso_code: a single-currency org
        "id varchar, account_id varchar, owner_id varchar, name varchar, type varchar, "
        "lead_source varchar, created_date timestamp, close_date date, amount double, "
        "stage_name varchar, probability double, is_closed boolean, is_won boolean, "
        "loss_reason_c varchar, is_deleted boolean, _fivetran_synced timestamp",
        [
            (
                "006A",
                "001ACME",
                "005AVA",
                "Acme expansion",
                "New Business",
                "Web",
                "2024-01-05 09:00:00",
                "2024-02-20",
                1000.0,
                "Closed Won",
                100.0,
                True,
                True,
                None,
                False,
                SYNCED,
            ),
            (
                "006B",
                "001GLOBEX",
                "005AVA",
                "Globex pilot",
                "New Business",
                "Referral",
                "2024-01-10 09:00:00",
                "2024-02-15",
                500.0,
                "Closed Lost",
                0.0,
                True,
                False,
                "Price",
                False,
                SYNCED,
            ),
            (
                "006C",
                "001ACME",
                "005AVA",
                "Acme phase 2",
                "New Business",
                "Web",
                "2024-02-01 09:00:00",
                "2024-04-30",
                2000.0,
                "Proposal",
                50.0,
                False,
                False,
                None,
                False,
                SYNCED,
            ),
            (
                "006D",
                "001GLOBEX",
                "005AVA",
                "Globex dup",
                "New Business",
                "Web",
                "2024-01-12 09:00:00",
                "2024-01-30",
                9999.0,
                "Closed Won",
                100.0,
                True,
                True,
                None,
                True,
                SYNCED,
            ),
            (
                "006E",
                "001GONE",
                "005AVA",
                "Initech",
                "New Business",
                "Web",
                "2024-01-15 09:00:00",
                "2024-03-01",
                700.0,
                "Prospecting",
                10.0,
                False,
                False,
                None,
                False,
                SYNCED,
            ),
        ],
    ),
    "opportunity_history": (
        "id varchar, opportunity_id varchar, created_date timestamp, stage_name varchar, "
        "amount double, close_date date, created_by_id varchar, probability double, "
        "expected_revenue double, is_deleted boolean, _fivetran_synced timestamp",
        [
            (
                "008A1",
                "006A",
                "2024-01-05 09:00:00",
                "Prospecting",
                1000.0,
                "2024-03-31",
                "005AVA",
                10.0,
                100.0,
                False,
                SYNCED,
            ),
            (
                "008A2",
                "006A",
                "2024-01-20 10:00:00",
                "Proposal",
                1000.0,
                "2024-03-31",
                "005AVA",
                50.0,
                500.0,
                False,
                SYNCED,
            ),
            (
                "008A3",
                "006A",
                "2024-02-20 15:00:00",
                "Closed Won",
                1000.0,
                "2024-02-20",
                "005AVA",
                100.0,
                1000.0,
                False,
                SYNCED,
            ),
            (
                "008B1",
                "006B",
                "2024-01-10 09:00:00",
                "Prospecting",
                500.0,
                "2024-03-15",
                "005AVA",
                10.0,
                50.0,
                False,
                SYNCED,
            ),
            (
                "008B2",
                "006B",
                "2024-02-15 12:00:00",
                "Closed Lost",
                500.0,
                "2024-02-15",
                "005AVA",
                0.0,
                0.0,
                False,
                SYNCED,
            ),
            (
                "008C1",
                "006C",
                "2024-02-01 09:00:00",
                "Prospecting",
                1500.0,
                "2024-04-30",
                "005AVA",
                10.0,
                150.0,
                False,
                SYNCED,
            ),
            (
                "008C9",
                "006C",
                "2024-02-05 09:00:00",
                "Prospecting",
                1800.0,
                "2024-04-30",
                "005AVA",
                10.0,
                180.0,
                True,
                SYNCED,
            ),
            (
                "008C2",
                "006C",
                "2024-02-10 11:00:00",
                "Proposal",
                2000.0,
                "2024-04-30",
                "005AVA",
                50.0,
                1000.0,
                False,
                SYNCED,
            ),
            (
                "008D1",
                "006D",
                "2024-01-12 09:00:00",
                "Prospecting",
                9999.0,
                "2024-01-30",
                "005AVA",
                10.0,
                999.9,
                False,
                SYNCED,
            ),
            (
                "008D2",
                "006D",
                "2024-01-30 09:00:00",
                "Closed Won",
                9999.0,
                "2024-01-30",
                "005AVA",
                100.0,
                9999.0,
                False,
                SYNCED,
            ),
            (
                "008E1",
                "006E",
                "2024-01-15 09:00:00",
                "Prospecting",
                700.0,
                "2024-03-01",
                "005AVA",
                10.0,
                70.0,
                False,
                SYNCED,
            ),
        ],
    ),
    "lead": (
        "id varchar, created_date timestamp, lead_source varchar, owner_id varchar, "
        "status varchar, is_converted boolean, converted_date date, "
        "converted_opportunity_id varchar, converted_account_id varchar, is_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (
                "00QL1",
                "2023-12-20 10:00:00",
                "Web",
                "005AVA",
                "Converted",
                True,
                "2024-01-05",
                "006A",
                "001ACME",
                False,
                SYNCED,
            ),
            (
                "00QL2",
                "2024-01-08 10:00:00",
                "Web",
                "005AVA",
                "Working",
                False,
                None,
                None,
                None,
                False,
                SYNCED,
            ),
            (
                "00QL3",
                "2024-01-09 10:00:00",
                "Web",
                "005AVA",
                "Working",
                False,
                None,
                None,
                None,
                True,
                SYNCED,
            ),
        ],
    ),
    "task": (
        "id varchar, owner_id varchar, subject varchar, type varchar, task_subtype varchar, "
        "status varchar, call_disposition varchar, call_duration_in_seconds integer, "
        "activity_date date, created_date timestamp, completed_date_time timestamp, "
        "who_id varchar, what_id varchar, account_id varchar, is_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (
                "00TC1",
                "005AVA",
                "Call",
                "Call",
                "Call",
                "Completed",
                "Connected",
                600,
                "2024-01-08",
                "2024-01-08 14:00:00",
                "2024-01-08 14:10:00",
                "00QL2",
                None,
                None,
                False,
                SYNCED,
            ),
            (
                "00TC2",
                "005AVA",
                "Call",
                "Call",
                "Call",
                "Completed",
                "No Answer",
                30,
                "2024-01-09",
                "2024-01-09 14:00:00",
                "2024-01-09 14:00:30",
                "00QL2",
                None,
                None,
                False,
                SYNCED,
            ),
            (
                "00TC3",
                "005AVA",
                "Call",
                "Call",
                "Call",
                "Completed",
                "Connected",
                60,
                "2024-01-10",
                "2024-01-10 14:00:00",
                "2024-01-10 14:01:00",
                "00QL2",
                None,
                None,
                True,
                SYNCED,
            ),
        ],
    ),
    "event": (
        "id varchar, owner_id varchar, subject varchar, type varchar, "
        "start_date_time timestamp, end_date_time timestamp, duration_in_minutes integer, "
        "who_id varchar, what_id varchar, account_id varchar, created_date timestamp, "
        "is_deleted boolean, _fivetran_synced timestamp",
        [
            (
                "00UM1",
                "005AVA",
                "Discovery",
                "Meeting",
                "2024-01-15 16:00:00",
                "2024-01-15 16:45:00",
                45,
                None,
                "006A",
                "001ACME",
                "2024-01-12 09:00:00",
                False,
                SYNCED,
            ),
        ],
    ),
    "opportunity_line_item": (
        "id varchar, opportunity_id varchar, product_2_id varchar, quantity double, "
        "unit_price double, total_price double, is_deleted boolean, _fivetran_synced timestamp",
        [
            ("00kA1", "006A", "01tWID", 10.0, 100.0, 1000.0, False, SYNCED),
            ("00kA2", "006A", "01tWID", 1.0, 5.0, 5.0, True, SYNCED),
        ],
    ),
    "product_2": (
        "id varchar, name varchar, family varchar, product_code varchar, is_active boolean, "
        "is_deleted boolean, _fivetran_synced timestamp",
        [("01tWID", "Widget", "Hardware", "W-1", True, False, SYNCED)],
    ),
    # v5: contacts, their roles on deals, support cases (a schema may have none of them)
    "contact": (
        "id varchar, account_id varchar, name varchar, first_name varchar, last_name varchar, "
        "title varchar, email varchar, created_date timestamp, is_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (
                "003DANA",
                "001ACME",
                "Dana Lee",
                "Dana",
                "Lee",
                "Chief Financial Officer",
                "dana@acme.example",
                "2023-11-15 10:00:00",
                False,
                SYNCED,
            ),
            (
                "003ELI",
                "001GLOBEX",
                "Eli Park",
                "Eli",
                "Park",
                "Head of IT",
                "eli@globex.example",
                "2023-12-02 10:00:00",
                False,
                SYNCED,
            ),
            (
                "003GONE",
                "001ACME",
                "Gus Old",
                "Gus",
                "Old",
                "Buyer",
                None,
                "2023-11-20 10:00:00",
                True,
                SYNCED,
            ),
        ],
    ),
    "opportunity_contact_role": (
        "id varchar, opportunity_id varchar, contact_id varchar, role varchar, "
        "is_primary boolean, created_date timestamp, is_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (
                "00KA1",
                "006A",
                "003DANA",
                "Decision Maker",
                True,
                "2024-01-06 10:00:00",
                False,
                SYNCED,
            ),
            ("00KA2", "006A", "003ELI", "Evaluator", False, "2024-01-07 10:00:00", False, SYNCED),
            ("00KB1", "006B", "003ELI", None, False, "2024-01-11 10:00:00", False, SYNCED),
            # deleted in Salesforce
            (
                "00KC1",
                "006C",
                "003DANA",
                "Economic Buyer",
                False,
                "2024-02-02 10:00:00",
                True,
                SYNCED,
            ),
        ],
    ),
    "case": (
        # Salesforce's Case: Medium is the contract's normal, Critical its urgent
        "id varchar, case_number varchar, account_id varchar, contact_id varchar, "
        "subject varchar, status varchar, priority varchar, origin varchar, is_closed boolean, "
        "created_date timestamp, closed_date timestamp, is_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (
                "500T1",
                "00001001",
                "001ACME",
                "003DANA",
                "Login fails",
                "Closed",
                "Medium",
                "Email",
                True,
                "2024-02-01 09:00:00",
                "2024-02-02 10:00:00",
                False,
                SYNCED,
            ),
            (
                "500T2",
                "00001002",
                "001GLOBEX",
                None,
                "Outage",
                "Escalated",
                "Critical",
                "Phone",
                False,
                "2024-03-01 08:00:00",
                None,
                False,
                SYNCED,
            ),
            (
                "500T3",
                "00001003",
                "001ACME",
                None,
                "Spam",
                "Closed",
                "High",
                "Web",
                True,
                "2024-03-02 08:00:00",
                "2024-03-02 09:00:00",
                True,
                SYNCED,
            ),
            # closed before it was created: a finding, closed_at nulled
            (
                "500T4",
                "00001004",
                "001ACME",
                "003ELI",
                "Invoice",
                "Closed",
                "high",
                "Email",
                True,
                "2024-03-10 12:00:00",
                "2024-03-09 12:00:00",
                False,
                SYNCED,
            ),
        ],
    ),
}
# the v5 connector tables: a schema without them still builds (the v5 tables empty)
SALESFORCE_V5_TABLES = ("contact", "opportunity_contact_role", "case")


def salesforce_history_mode() -> tuple[str, list[tuple]]:
    """Fivetran history mode's `opportunity`: one row per version, the same changes as
    opportunity_history plus versions that change only other fields (description, probability,
    `_fivetran_synced`), which must collapse away. Deal C's deleted history row has no
    counterpart (history mode never saw it)."""
    columns = (
        "id varchar, account_id varchar, owner_id varchar, created_date timestamp, "
        "stage_name varchar, amount double, close_date date, description varchar, "
        "last_modified_by_id varchar, is_deleted boolean, _fivetran_start timestamp, "
        "_fivetran_end timestamp, _fivetran_active boolean, _fivetran_synced timestamp"
    )
    end = "9999-12-31 23:59:59"
    versions = [
        # deal A: the first version starts when the sync saw it, after created_date
        (
            "006A",
            "2024-01-05 09:00:00",
            "Prospecting",
            1000.0,
            "2024-03-31",
            "v1",
            "2024-01-05 09:04:00",
        ),
        (
            "006A",
            "2024-01-05 09:00:00",
            "Prospecting",
            1000.0,
            "2024-03-31",
            "v2 notes",
            "2024-01-07 12:00:00",
        ),
        (
            "006A",
            "2024-01-05 09:00:00",
            "Proposal",
            1000.0,
            "2024-03-31",
            "v2 notes",
            "2024-01-20 10:00:00",
        ),
        (
            "006A",
            "2024-01-05 09:00:00",
            "Proposal",
            1000.0,
            "2024-03-31",
            "v3 notes",
            "2024-02-01 10:00:00",
        ),
        (
            "006A",
            "2024-01-05 09:00:00",
            "Closed Won",
            1000.0,
            "2024-02-20",
            "v3 notes",
            "2024-02-20 15:00:00",
        ),
        (
            "006B",
            "2024-01-10 09:00:00",
            "Prospecting",
            500.0,
            "2024-03-15",
            "b",
            "2024-01-10 09:05:00",
        ),
        (
            "006B",
            "2024-01-10 09:00:00",
            "Closed Lost",
            500.0,
            "2024-02-15",
            "b",
            "2024-02-15 12:00:00",
        ),
        (
            "006C",
            "2024-02-01 09:00:00",
            "Prospecting",
            1500.0,
            "2024-04-30",
            "c",
            "2024-02-01 09:01:00",
        ),
        (
            "006C",
            "2024-02-01 09:00:00",
            "Proposal",
            2000.0,
            "2024-04-30",
            "c",
            "2024-02-10 11:00:00",
        ),
        (
            "006C",
            "2024-02-01 09:00:00",
            "Proposal",
            2000.0,
            "2024-04-30",
            "c2",
            "2024-03-01 11:00:00",
        ),
        (
            "006D",
            "2024-01-12 09:00:00",
            "Prospecting",
            9999.0,
            "2024-01-30",
            "d",
            "2024-01-12 09:00:00",
        ),
        (
            "006D",
            "2024-01-12 09:00:00",
            "Closed Won",
            9999.0,
            "2024-01-30",
            "d",
            "2024-01-30 09:00:00",
        ),
        (
            "006E",
            "2024-01-15 09:00:00",
            "Prospecting",
            700.0,
            "2024-03-01",
            "e",
            "2024-01-15 09:00:00",
        ),
    ]
    accounts = {
        "006A": "001ACME",
        "006B": "001GLOBEX",
        "006C": "001ACME",
        "006D": "001GLOBEX",
        "006E": "001GONE",
    }
    rows = []
    for index, (opp, created, stage, amount, close, description, start) in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        is_last = following is None or following[0] != opp
        rows.append(
            (
                opp,
                accounts[opp],
                "005AVA",
                created,
                stage,
                amount,
                close,
                description,
                "005AVA",
                opp == "006D",
                start,
                end if is_last else following[6],
                is_last,
                SYNCED,
            )
        )
    return columns, rows


# ---------------------------------------------------------------------------------------------
# Fivetran HubSpot. Owners, companies and deals keyed by HubSpot's numeric ids.

HUBSPOT: dict[str, tuple[str, list[tuple]]] = {
    "owner": (
        # no is_active: a column this schema lacks
        "owner_id bigint, email varchar, first_name varchar, last_name varchar, "
        "created_at timestamp, updated_at timestamp, type varchar, portal_id bigint, "
        "_fivetran_synced timestamp",
        [
            (
                101,
                "ava@example.com",
                "Ava",
                "Reed",
                "2023-01-02 08:00:00",
                "2023-01-02 08:00:00",
                "PERSON",
                9,
                SYNCED,
            ),
            (
                102,
                "sam@example.com",
                "Sam",
                "Cole",
                "2023-02-01 08:00:00",
                "2023-02-01 08:00:00",
                "PERSON",
                9,
                SYNCED,
            ),
            (
                103,
                "max@example.com",
                "Max",
                "Dunn",
                "2022-06-01 08:00:00",
                "2022-06-01 08:00:00",
                "PERSON",
                9,
                SYNCED,
            ),
        ],
    ),
    "company": (
        "id bigint, portal_id bigint, is_deleted boolean, property_name varchar, "
        "property_industry varchar, property_numberofemployees bigint, property_country varchar, "
        "property_hubspot_owner_id bigint, property_createdate timestamp, "
        "_fivetran_synced timestamp",
        [
            (201, 9, False, "Acme", "Manufacturing", 120, "US", 101, "2023-11-01 10:00:00", SYNCED),
            (202, 9, False, "Globex", "Energy", 40, "US", 101, "2023-12-01 10:00:00", SYNCED),
            (203, 9, True, "Initech", "Software", 10, "US", 101, "2023-12-05 10:00:00", SYNCED),
        ],
    ),
    "deal_pipeline": (
        "pipeline_id varchar, label varchar, display_order integer, active boolean, "
        "_fivetran_deleted boolean, _fivetran_synced timestamp",
        [("default", "Sales Pipeline", 0, True, False, SYNCED)],
    ),
    "deal_pipeline_stage": (
        "stage_id varchar, pipeline_id varchar, label varchar, display_order integer, "
        "probability double, active boolean, closed_won boolean, _fivetran_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            ("appointmentscheduled", "default", "Prospecting", 0, 0.1, True, False, False, SYNCED),
            ("presentationscheduled", "default", "Proposal", 1, 0.5, True, False, False, SYNCED),
            ("closedwon", "default", "Closed Won", 2, 1.0, True, True, False, SYNCED),
            ("closedlost", "default", "Closed Lost", 3, 0.0, True, False, False, SYNCED),
        ],
    ),
    "deal": (
        # no property_deal_currency_code: a single-currency portal
        "deal_id bigint, portal_id bigint, deal_pipeline_id varchar, "
        "deal_pipeline_stage_id varchar, owner_id bigint, is_deleted boolean, "
        # property_createdate with a time zone: the adapter writes it in UTC
        "property_dealname varchar, property_amount double, property_closedate timestamp, "
        "property_createdate timestamptz, property_dealtype varchar, "
        "property_hs_analytics_source varchar, property_closed_lost_reason varchar, "
        "_fivetran_synced timestamp",
        [
            (
                301,
                9,
                "default",
                "closedwon",
                101,
                False,
                "Acme expansion",
                1000.0,
                "2024-02-20 00:00:00",
                "2024-01-05 11:00:00+02:00",
                "newbusiness",
                "Web",
                None,
                SYNCED,
            ),
            (
                302,
                9,
                "default",
                "closedlost",
                101,
                False,
                "Globex pilot",
                500.0,
                "2024-02-15 00:00:00",
                "2024-01-10 04:00:00-05:00",
                "newbusiness",
                "Referral",
                "Price",
                SYNCED,
            ),
            (
                303,
                9,
                "default",
                "presentationscheduled",
                101,
                False,
                "Acme phase 2",
                1800.0,
                "2024-04-30 00:00:00",
                "2024-02-01 09:00:00",
                "newbusiness",
                "Web",
                None,
                SYNCED,
            ),
            (
                304,
                9,
                "default",
                "closedwon",
                101,
                True,
                "Globex dup",
                9999.0,
                "2024-01-30 00:00:00",
                "2024-01-12 09:00:00",
                "newbusiness",
                "Web",
                None,
                SYNCED,
            ),
            (
                305,
                9,
                "default",
                "appointmentscheduled",
                101,
                False,
                "Initech",
                700.0,
                "2024-03-01 00:00:00",
                "2024-01-15 09:00:00",
                "newbusiness",
                "Web",
                None,
                SYNCED,
            ),
        ],
    ),
    "deal_company": (
        "deal_id bigint, company_id bigint, type_id integer, _fivetran_synced timestamp",
        [
            (301, 201, 5, SYNCED),
            (302, 202, 5, SYNCED),
            (303, 201, 5, SYNCED),
            (303, 202, 341, SYNCED),  # a second, non-primary association: not used
            (304, 202, 5, SYNCED),
            (305, 203, 5, SYNCED),
        ],
    ),
    "deal_stage": (
        "deal_id bigint, _fivetran_start timestamp, _fivetran_end timestamp, "
        "_fivetran_active boolean, date_entered timestamp, value varchar, source varchar, "
        "source_id varchar, _fivetran_synced timestamp",
        [
            (
                301,
                "2024-01-05 09:00:00",
                "2024-01-20 10:00:00",
                False,
                "2024-01-05 09:00:00",
                "appointmentscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                301,
                "2024-01-20 10:00:00",
                "2024-02-20 15:00:00",
                False,
                "2024-01-20 10:00:00",
                "presentationscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                301,
                "2024-02-20 15:00:00",
                "9999-12-31 23:59:59",
                True,
                "2024-02-20 15:00:00",
                "closedwon",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                302,
                "2024-01-10 09:00:00",
                "2024-02-15 12:00:00",
                False,
                "2024-01-10 09:00:00",
                "appointmentscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                302,
                "2024-02-15 12:00:00",
                "9999-12-31 23:59:59",
                True,
                "2024-02-15 12:00:00",
                "closedlost",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                303,
                "2024-02-01 09:00:00",
                "2024-02-10 11:00:00",
                False,
                "2024-02-01 09:00:00",
                "appointmentscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                303,
                "2024-02-10 11:00:00",
                "9999-12-31 23:59:59",
                True,
                "2024-02-10 11:00:00",
                "presentationscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                304,
                "2024-01-12 09:00:00",
                "2024-01-30 09:00:00",
                False,
                "2024-01-12 09:00:00",
                "appointmentscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                304,
                "2024-01-30 09:00:00",
                "9999-12-31 23:59:59",
                True,
                "2024-01-30 09:00:00",
                "closedwon",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
            (
                305,
                "2024-01-15 09:00:00",
                "9999-12-31 23:59:59",
                True,
                "2024-01-15 09:00:00",
                "appointmentscheduled",
                "CRM_UI",
                "ava@example.com",
                SYNCED,
            ),
        ],
    ),
    # deal_property_history as dbt_hubspot_source reads it (macros/
    # get_deal_property_history_columns.sql: deal_id, name, source, source_id, timestamp, value).
    # Amounts as text; close dates as HubSpot writes them, epoch milliseconds (A, D) or ISO text
    # (B, C). Deal C's initial values were recorded 100 ms before its first stage entry (they
    # count at that entry); its close date was pushed on 03-05 and its amount cut on 03-10.
    "deal_property_history": (
        "deal_id bigint, name varchar, source varchar, source_id varchar, "
        "timestamp timestamp, value varchar, _fivetran_synced timestamp",
        [
            (301, "amount", "CRM_UI", "ava@example.com", "2024-01-05 09:00:00", "1000", SYNCED),
            (
                301,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-01-05 09:00:00",
                "1711843200000",
                SYNCED,
            ),
            (301, "dealname", "CRM_UI", "ava@example.com", "2024-01-06 09:00:00", "Acme x", SYNCED),
            (
                301,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-02-20 15:00:00",
                "1708387200000",
                SYNCED,
            ),
            (302, "amount", "CRM_UI", "ava@example.com", "2024-01-10 09:00:00", "500", SYNCED),
            (
                302,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-01-10 09:00:00",
                "2024-03-15T00:00:00Z",
                SYNCED,
            ),
            (
                302,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-02-15 12:00:00",
                "2024-02-15T00:00:00Z",
                SYNCED,
            ),
            (303, "amount", "CRM_UI", "ava@example.com", "2024-02-01 08:59:59.900", "1500", SYNCED),
            (
                303,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-02-01 08:59:59.900",
                "2024-03-20T00:00:00Z",
                SYNCED,
            ),
            (303, "amount", "CRM_UI", "ava@example.com", "2024-02-10 11:00:00", "2000", SYNCED),
            (
                303,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-03-05 10:00:00",
                "2024-04-30T00:00:00Z",
                SYNCED,
            ),
            (303, "amount", "CRM_UI", "ava@example.com", "2024-03-10 10:00:00", "1800", SYNCED),
            # a stage change in property history: the stage history is deal_stage's
            (
                303,
                "dealstage",
                "CRM_UI",
                "ava@example.com",
                "2024-02-10 11:00:00",
                "presentationscheduled",
                SYNCED,
            ),
            (304, "amount", "CRM_UI", "ava@example.com", "2024-01-12 09:00:00", "9999", SYNCED),
            (
                304,
                "closedate",
                "CRM_UI",
                "ava@example.com",
                "2024-01-12 09:00:00",
                "1706572800000",
                SYNCED,
            ),
            (305, "amount", "CRM_UI", "ava@example.com", "2024-01-15 09:00:00", "700", SYNCED),
        ],
    ),
    # The connector's current engagement layout: `engagement` holds id and type (the columns of
    # dbt_hubspot_source's integration_tests/seeds/engagement_data.csv), the owner and time of
    # each engagement are in its type's table (macros/get_engagement_call_columns.sql,
    # get_engagement_meeting_columns.sql, get_engagement_email_columns.sql:
    # property_hubspot_owner_id, property_hs_timestamp, property_hs_createdate, type).
    "engagement": (
        "id bigint, portal_id bigint, type varchar, active boolean, _fivetran_deleted boolean, "
        "_fivetran_synced timestamp",
        [
            (401, 9, "CALL", True, False, SYNCED),
            (402, 9, "CALL", True, False, SYNCED),
            (403, 9, "CALL", True, True, SYNCED),
            (404, 9, "MEETING", True, False, SYNCED),
            (405, 9, "NOTE", True, False, SYNCED),
            (406, 9, "EMAIL", True, False, SYNCED),
            (407, 9, "EMAIL", True, False, SYNCED),
        ],
    ),
    "engagement_call": (
        "engagement_id bigint, type varchar, property_hs_createdate timestamp, "
        "property_hs_timestamp timestamp, property_hubspot_owner_id bigint, "
        "property_hubspot_team_id bigint, property_hs_call_disposition varchar, "
        "property_hs_call_duration bigint, _fivetran_deleted boolean, _fivetran_synced timestamp",
        [
            (
                401,
                "CALL",
                "2024-01-08 14:10:00",
                "2024-01-08 14:00:00",
                101,
                None,
                "f240bbac-87c9-4f6e-bf70-924b57d47db7",
                600000,
                False,
                SYNCED,
            ),
            (
                402,
                "CALL",
                "2024-01-09 14:00:30",
                "2024-01-09 14:00:00",
                101,
                None,
                "73a0d17f-1163-4015-bdd5-ec830791da20",
                30000,
                False,
                SYNCED,
            ),
            (
                403,
                "CALL",
                "2024-01-10 14:01:00",
                "2024-01-10 14:00:00",
                101,
                None,
                "f240bbac-87c9-4f6e-bf70-924b57d47db7",
                60000,
                False,
                SYNCED,
            ),
        ],
    ),
    "engagement_meeting": (
        "engagement_id bigint, type varchar, property_hs_createdate timestamp, "
        "property_hs_timestamp timestamp, property_hubspot_owner_id bigint, "
        "property_hs_meeting_start_time timestamp, property_hs_meeting_end_time timestamp, "
        "_fivetran_deleted boolean, _fivetran_synced timestamp",
        [
            (
                404,
                "MEETING",
                "2024-01-12 09:00:00",
                "2024-01-15 16:00:00",
                101,
                "2024-01-15 16:00:00",
                "2024-01-15 16:45:00",
                False,
                SYNCED,
            )
        ],
    ),
    # email 406 by Ava, email 407 by Sam deleted in HubSpot (its type row says so)
    "engagement_email": (
        "engagement_id bigint, type varchar, property_hs_createdate timestamp, "
        "property_hs_timestamp timestamp, property_hubspot_owner_id bigint, "
        "property_hubspot_team_id bigint, property_hs_email_subject varchar, "
        "_fivetran_deleted boolean, _fivetran_synced timestamp",
        [
            (
                406,
                "EMAIL",
                "2024-01-11 10:00:00",
                "2024-01-11 10:00:00",
                101,
                None,
                "Proposal",
                False,
                SYNCED,
            ),
            (
                407,
                "EMAIL",
                "2024-01-12 10:00:00",
                "2024-01-12 10:00:00",
                102,
                None,
                "Follow-up",
                True,
                SYNCED,
            ),
        ],
    ),
    "engagement_deal": (
        "engagement_id bigint, deal_id bigint, _fivetran_synced timestamp",
        [(404, 301, SYNCED)],
    ),
    "engagement_company": (
        "engagement_id bigint, company_id bigint, _fivetran_synced timestamp",
        [(404, 201, SYNCED)],
    ),
    # v5: contacts, deal-contact associations (no roles in HubSpot), tickets
    "contact": (
        "id bigint, _fivetran_deleted boolean, property_firstname varchar, "
        "property_lastname varchar, property_email varchar, property_jobtitle varchar, "
        "property_associatedcompanyid bigint, property_createdate timestamp, "
        "_fivetran_synced timestamp",
        [
            (
                501,
                False,
                "Dana",
                "Lee",
                "dana@acme.example",
                "Chief Financial Officer",
                201,
                "2023-11-15 10:00:00",
                SYNCED,
            ),
            (
                502,
                False,
                "Eli",
                "Park",
                "eli@globex.example",
                "Head of IT",
                202,
                "2023-12-02 10:00:00",
                SYNCED,
            ),
            (503, True, "Gus", "Old", None, "Buyer", 201, "2023-11-20 10:00:00", SYNCED),
        ],
    ),
    "deal_contact": (
        "deal_id bigint, contact_id bigint, type_id integer, category varchar, "
        "_fivetran_deleted boolean, _fivetran_synced timestamp",
        [
            (301, 501, 3, "HUBSPOT_DEFINED", False, SYNCED),
            # a labelled association of the same pair: still one contract row
            (301, 501, 17, "USER_DEFINED", False, SYNCED),
            (301, 502, 3, "HUBSPOT_DEFINED", False, SYNCED),
            (302, 502, 3, "HUBSPOT_DEFINED", False, SYNCED),
            # removed in HubSpot
            (303, 501, 3, "HUBSPOT_DEFINED", True, SYNCED),
        ],
    ),
    "ticket": (
        "id bigint, is_deleted boolean, property_subject varchar, "
        "property_hs_pipeline varchar, property_hs_pipeline_stage varchar, "
        "property_hs_ticket_priority varchar, property_createdate timestamp, "
        "property_closed_date timestamp, _fivetran_synced timestamp",
        [
            (
                601,
                False,
                "Login fails",
                "0",
                "4",
                "MEDIUM",
                "2024-02-01 09:00:00",
                "2024-02-02 10:00:00",
                SYNCED,
            ),
            (602, False, "Outage", "0", "1", "URGENT", "2024-03-01 08:00:00", None, SYNCED),
            (
                603,
                True,
                "Spam",
                "0",
                "4",
                "HIGH",
                "2024-03-02 08:00:00",
                "2024-03-02 09:00:00",
                SYNCED,
            ),
            # closed before it was created: a finding, closed_at nulled
            (
                604,
                False,
                "Invoice",
                "0",
                "4",
                "HIGH",
                "2024-03-10 12:00:00",
                "2024-03-09 12:00:00",
                SYNCED,
            ),
        ],
    ),
    "ticket_company": (
        "ticket_id bigint, company_id bigint, _fivetran_synced timestamp",
        [(601, 201, SYNCED), (602, 202, SYNCED), (604, 202, SYNCED), (604, 201, SYNCED)],
    ),
    "ticket_contact": (
        "ticket_id bigint, contact_id bigint, _fivetran_synced timestamp",
        [(601, 501, SYNCED), (604, 502, SYNCED)],
    ),
    "ticket_pipeline_stage": (
        "stage_id varchar, pipeline_id varchar, label varchar, display_order integer, "
        "is_closed boolean, _fivetran_deleted boolean, _fivetran_synced timestamp",
        [
            ("1", "0", "New", 0, False, False, SYNCED),
            ("4", "0", "Closed", 3, True, False, SYNCED),
        ],
    ),
}
# the v5 connector tables: a schema without them still builds (the v5 tables empty)
HUBSPOT_V5_TABLES = (
    "contact",
    "deal_contact",
    "ticket",
    "ticket_company",
    "ticket_contact",
    "ticket_pipeline_stage",
)


def hubspot_legacy_engagements() -> dict[str, tuple[str, list[tuple]]]:
    """The connector's older engagement layout: owner_id and timestamp on `engagement` (the
    columns of dbt_hubspot_source's macros/get_engagement_columns.sql), type tables without
    owner or time. The same activities as HUBSPOT's, email 407 deleted on `engagement`."""
    return {
        "engagement": (
            "id bigint, portal_id bigint, type varchar, owner_id bigint, timestamp timestamp, "
            "created_at timestamp, active boolean, _fivetran_deleted boolean, "
            "_fivetran_synced timestamp",
            [
                (
                    401,
                    9,
                    "CALL",
                    101,
                    "2024-01-08 14:00:00",
                    "2024-01-08 14:10:00",
                    True,
                    False,
                    SYNCED,
                ),
                (
                    402,
                    9,
                    "CALL",
                    101,
                    "2024-01-09 14:00:00",
                    "2024-01-09 14:00:30",
                    True,
                    False,
                    SYNCED,
                ),
                (
                    403,
                    9,
                    "CALL",
                    101,
                    "2024-01-10 14:00:00",
                    "2024-01-10 14:01:00",
                    True,
                    True,
                    SYNCED,
                ),
                (
                    404,
                    9,
                    "MEETING",
                    101,
                    "2024-01-15 16:00:00",
                    "2024-01-12 09:00:00",
                    True,
                    False,
                    SYNCED,
                ),
                (
                    405,
                    9,
                    "NOTE",
                    101,
                    "2024-01-16 16:00:00",
                    "2024-01-16 16:00:00",
                    True,
                    False,
                    SYNCED,
                ),
                (406, 9, "EMAIL", 101, "2024-01-11 10:00:00", None, True, False, SYNCED),
                (407, 9, "EMAIL", 102, "2024-01-12 10:00:00", None, True, True, SYNCED),
            ],
        ),
        "engagement_call": (
            "engagement_id bigint, disposition varchar, duration_milliseconds bigint, "
            "status varchar, _fivetran_synced timestamp",
            [
                (401, "f240bbac-87c9-4f6e-bf70-924b57d47db7", 600000, "COMPLETED", SYNCED),
                (402, "73a0d17f-1163-4015-bdd5-ec830791da20", 30000, "COMPLETED", SYNCED),
                (403, "f240bbac-87c9-4f6e-bf70-924b57d47db7", 60000, "COMPLETED", SYNCED),
            ],
        ),
        "engagement_meeting": (
            "engagement_id bigint, start_time timestamp, end_time timestamp, title varchar, "
            "_fivetran_synced timestamp",
            [(404, "2024-01-15 16:00:00", "2024-01-15 16:45:00", "Discovery", SYNCED)],
        ),
        "engagement_email": (
            "engagement_id bigint, property_hs_email_subject varchar, _fivetran_synced timestamp",
            [(406, "Proposal", SYNCED), (407, "Follow-up", SYNCED)],
        ),
    }


# The record key of each connector table (Fivetran's primary keys; association tables are keyed
# by their ids). deal_stage and deal_property_history are history tables themselves.
RECORD_KEYS = {
    "deal": ("deal_id",),
    "owner": ("owner_id",),
    "deal_pipeline": ("pipeline_id",),
    "deal_pipeline_stage": ("stage_id",),
    "deal_company": ("deal_id", "company_id", "type_id"),
    "engagement_call": ("engagement_id",),
    "engagement_meeting": ("engagement_id",),
    "engagement_email": ("engagement_id",),
    "engagement_deal": ("engagement_id", "deal_id"),
    "engagement_company": ("engagement_id", "company_id"),
    "deal_contact": ("deal_id", "contact_id", "type_id"),
    "ticket_company": ("ticket_id", "company_id"),
    "ticket_contact": ("ticket_id", "contact_id"),
    "ticket_pipeline_stage": ("stage_id",),
}


def history_mode(
    tables: dict[str, tuple[str, list[tuple]]], names: list[str]
) -> dict[str, tuple[str, list[tuple]]]:
    """`tables` with the tables `names` as Fivetran history mode writes them: one row per version
    (`_fivetran_active`, `_fivetran_start`, `_fivetran_end`,
    https://fivetran.com/docs/core-concepts/system-columns-and-tables). Each record gets an
    older version first, every text and number column other than its key changed (a stale name,
    stage, owner, probability ...), then its current version, the row as given, active. A
    record the CRM deleted (is_deleted or _fivetran_deleted true) has no active version, its
    flags false: history mode tells the deletion by that alone."""
    versioned = dict(tables)
    for name in names:
        columns, rows = tables[name]
        definitions = [column.strip() for column in columns.split(",")]
        column_names = [definition.split()[0] for definition in definitions]
        types = [definition.split()[1] for definition in definitions]
        key = RECORD_KEYS.get(name, ("id",))
        flags = {"is_deleted", "_fivetran_deleted"} & set(column_names)
        new_rows = []
        for row in rows:
            values = dict(zip(column_names, row, strict=True))
            deleted = any(values[flag] for flag in flags)
            current = {**values, **dict.fromkeys(flags, False)}
            old = dict(current)
            for column, data_type in zip(column_names, types, strict=True):
                if column in key or column.startswith("_fivetran") or old[column] is None:
                    continue
                if data_type == "varchar":
                    old[column] = f"{old[column]} (old)"
                elif data_type in ("double", "integer", "bigint"):
                    old[column] = old[column] * 7 + 1
            new_rows.append((*old.values(), "2023-01-01 00:00:00", "2023-06-01 00:00:00", False))
            new_rows.append(
                (*current.values(), "2023-06-01 00:00:00", "9999-12-31 23:59:59", not deleted)
            )
        versioned[name] = (
            columns + ", _fivetran_start timestamp, _fivetran_end timestamp, "
            "_fivetran_active boolean",
            new_rows,
        )
    return versioned


def load_tables(database: Path, schema: str, tables: dict[str, tuple[str, list[tuple]]]) -> None:
    """Create `schema` in the DuckDB file and one table per entry, with its rows."""
    connection = duckdb.connect(str(database))
    try:
        connection.execute(f"create schema if not exists {schema}")
        for name, (columns, rows) in tables.items():
            connection.execute(f'create or replace table {schema}."{name}" ({columns})')
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                connection.executemany(f'insert into {schema}."{name}" values ({marks})', rows)
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# The same story in the raw contract's shape, written by hand (not derived from the adapters).


def _contract(ids: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Contract tables for the story; `ids` maps the story's names to the connector's ids."""
    i = ids
    return {
        "users": [
            {
                "user_id": i["ava"],
                "full_name": "Ava Reed",
                "email": "ava@example.com",
                "role": "AE",
                "manager_id": i.get("manager", i["max"]),
                "team": i.get("team"),
                "segment": "",
                "hired_on": "2023-01-02",
                "is_active": i.get("active", "true"),
            },
            {
                "user_id": i["sam"],
                "full_name": "Sam Cole",
                "email": "sam@example.com",
                "role": i["sam_role"],
                "manager_id": i.get("manager", i["max"]),
                "team": i.get("team"),
                "segment": "",
                "hired_on": "2023-02-01",
                "is_active": i.get("active", "true"),
            },
            {
                "user_id": i["max"],
                "full_name": "Max Dunn",
                "email": "max@example.com",
                "role": i["max_role"],
                "manager_id": "",
                "team": i.get("team"),
                "segment": "",
                "hired_on": "2022-06-01",
                "is_active": i.get("active", "true"),
            },
        ],
        "accounts": [
            {
                "account_id": i["acme"],
                "account_name": "Acme",
                "industry": "Manufacturing",
                "employee_count": "120",
                "country": i.get("country"),
                "segment": "",
                "owner_id": i["ava"],
                "created_at": "2023-11-01 10:00:00",
            },
            {
                "account_id": i["globex"],
                "account_name": "Globex",
                "industry": "Energy",
                "employee_count": "40",
                "country": i.get("country"),
                "segment": "",
                "owner_id": i["ava"],
                "created_at": "2023-12-01 10:00:00",
            },
        ],
        "stages": [
            {
                "stage_name": "Prospecting",
                "stage_order": "1",
                "default_probability": "0.1",
                "is_closed": "false",
                "is_won": "false",
            },
            {
                "stage_name": "Proposal",
                "stage_order": "2",
                "default_probability": "0.5",
                "is_closed": "false",
                "is_won": "false",
            },
            {
                "stage_name": "Closed Won",
                "stage_order": "3",
                "default_probability": "1",
                "is_closed": "true",
                "is_won": "true",
            },
            {
                "stage_name": "Closed Lost",
                "stage_order": "4",
                "default_probability": "0",
                "is_closed": "true",
                "is_won": "false",
            },
        ],
        "opportunities": [
            {
                "opportunity_id": i["A"],
                "account_id": i["acme"],
                "owner_id": i["ava"],
                "opportunity_name": "Acme expansion",
                "opportunity_type": "new_business",
                "lead_source": "Web",
                "created_at": "2024-01-05 09:00:00",
                "close_date": "2024-02-20",
                "amount": "1000",
                "stage_name": "Closed Won",
                "is_closed": "true",
                "is_won": "true",
                "loss_reason": "",
            },
            {
                "opportunity_id": i["B"],
                "account_id": i["globex"],
                "owner_id": i["ava"],
                "opportunity_name": "Globex pilot",
                "opportunity_type": "new_business",
                "lead_source": "Referral",
                "created_at": "2024-01-10 09:00:00",
                "close_date": "2024-02-15",
                "amount": "500",
                "stage_name": "Closed Lost",
                "is_closed": "true",
                "is_won": "false",
                "loss_reason": "Price",
            },
            {
                "opportunity_id": i["C"],
                "account_id": i["acme"],
                "owner_id": i["ava"],
                "opportunity_name": "Acme phase 2",
                "opportunity_type": "new_business",
                "lead_source": "Web",
                "created_at": "2024-02-01 09:00:00",
                "close_date": "2024-04-30",
                "amount": i.get("C_amount", "2000"),
                "stage_name": "Proposal",
                "is_closed": "false",
                "is_won": "false",
                "loss_reason": "",
            },
        ],
        "opportunity_history": [
            {
                "opportunity_id": i["A"],
                "changed_at": "2024-01-05 09:00:00",
                "stage_name": "Prospecting",
                "amount": "1000",
                "close_date": "2024-03-31",
                "changed_by": i.get("by"),
            },
            {
                "opportunity_id": i["A"],
                "changed_at": "2024-01-20 10:00:00",
                "stage_name": "Proposal",
                "amount": "1000",
                "close_date": "2024-03-31",
                "changed_by": i.get("by"),
            },
            {
                "opportunity_id": i["A"],
                "changed_at": "2024-02-20 15:00:00",
                "stage_name": "Closed Won",
                "amount": "1000",
                "close_date": "2024-02-20",
                "changed_by": i.get("by"),
            },
            {
                "opportunity_id": i["B"],
                "changed_at": "2024-01-10 09:00:00",
                "stage_name": "Prospecting",
                "amount": "500",
                "close_date": "2024-03-15",
                "changed_by": i.get("by"),
            },
            {
                "opportunity_id": i["B"],
                "changed_at": "2024-02-15 12:00:00",
                "stage_name": "Closed Lost",
                "amount": "500",
                "close_date": "2024-02-15",
                "changed_by": i.get("by"),
            },
            {
                "opportunity_id": i["C"],
                "changed_at": "2024-02-01 09:00:00",
                "stage_name": "Prospecting",
                "amount": "1500",
                "close_date": i.get("C1_close", "2024-04-30"),
                "changed_by": i.get("by"),
            },
            {
                "opportunity_id": i["C"],
                "changed_at": "2024-02-10 11:00:00",
                "stage_name": "Proposal",
                "amount": "2000",
                "close_date": i.get("C1_close", "2024-04-30"),
                "changed_by": i.get("by"),
            },
            *i.get("C_history", []),
        ],
        "leads": i.get("leads", []),
        "activities": i["activities"],
        "opportunity_line_items": i.get("line_items", []),
        "products": i.get("products", []),
        "contacts": i.get("contacts", []),
        "opportunity_contact_roles": i.get("contact_roles", []),
        "support_tickets": i.get("tickets", []),
    }


def _with_source_order(
    tables: dict[str, list[dict[str, Any]]], orders: dict[tuple[str, str], str]
) -> dict[str, list[dict[str, Any]]]:
    """Each history row gets the source_order the connector holds for it, by (deal, changed_at)."""
    for row in tables["opportunity_history"]:
        row["source_order"] = orders[(row["opportunity_id"], row["changed_at"])]
    return tables


def _epoch_ms(instant: str) -> str:
    """A UTC instant ('YYYY-MM-DD HH:MM:SS[.fff]') in epoch milliseconds, as text digits."""
    moment = datetime.datetime.fromisoformat(instant).replace(tzinfo=datetime.UTC)
    return str(round(moment.timestamp() * 1000))


def salesforce_contract() -> dict[str, list[dict[str, Any]]]:
    """The Salesforce story; each history row carries its OpportunityHistory Id as
    source_order, as the adapter reads it."""
    return _with_source_order(_salesforce_contract(), SALESFORCE_HISTORY_IDS)


# the Id of each accepted OpportunityHistory row of the story (opportunity_history above)
SALESFORCE_HISTORY_IDS = {
    ("006A", "2024-01-05 09:00:00"): "008A1",
    ("006A", "2024-01-20 10:00:00"): "008A2",
    ("006A", "2024-02-20 15:00:00"): "008A3",
    ("006B", "2024-01-10 09:00:00"): "008B1",
    ("006B", "2024-02-15 12:00:00"): "008B2",
    ("006C", "2024-02-01 09:00:00"): "008C1",
    ("006C", "2024-02-10 11:00:00"): "008C2",
}


def _salesforce_contract() -> dict[str, list[dict[str, Any]]]:
    return _contract(
        {
            "ava": "005AVA",
            "sam": "005SAM",
            "max": "005MAX",
            "sam_role": "SE",
            "max_role": "MANAGER",
            "team": "West",
            "acme": "001ACME",
            "globex": "001GLOBEX",
            "A": "006A",
            "B": "006B",
            "C": "006C",
            "by": "005AVA",
            "leads": [
                {
                    "lead_id": "00QL1",
                    "created_at": "2023-12-20 10:00:00",
                    "lead_source": "Web",
                    "owner_id": "005AVA",
                    "status": "Converted",
                    "converted_at": "2024-01-05 00:00:00",
                    "converted_opportunity_id": "006A",
                    "converted_account_id": "001ACME",
                },
                {
                    "lead_id": "00QL2",
                    "created_at": "2024-01-08 10:00:00",
                    "lead_source": "Web",
                    "owner_id": "005AVA",
                    "status": "Working",
                },
            ],
            "activities": [
                {
                    "activity_id": "00TC1",
                    "user_id": "005AVA",
                    "activity_type": "call",
                    "activity_at": "2024-01-08 14:10:00",
                    "outcome": "connected",
                    "duration_minutes": "10",
                    "lead_id": "00QL2",
                },
                {
                    "activity_id": "00TC2",
                    "user_id": "005AVA",
                    "activity_type": "call",
                    "activity_at": "2024-01-09 14:00:30",
                    "outcome": "no_answer",
                    "duration_minutes": "0.5",
                    "lead_id": "00QL2",
                },
                {
                    "activity_id": "00UM1",
                    "user_id": "005AVA",
                    "activity_type": "meeting",
                    "activity_at": "2024-01-15 16:00:00",
                    "duration_minutes": "45",
                    "account_id": "001ACME",
                    "opportunity_id": "006A",
                },
            ],
            "line_items": [
                {
                    "line_item_id": "00kA1",
                    "opportunity_id": "006A",
                    "product_id": "01tWID",
                    "quantity": "10",
                    "unit_price": "100",
                },
            ],
            "products": [
                {"product_id": "01tWID", "product_name": "Widget", "product_family": "Hardware"},
            ],
            "contacts": [
                {
                    "contact_id": "003DANA",
                    "account_id": "001ACME",
                    "full_name": "Dana Lee",
                    "title": "Chief Financial Officer",
                    "created_at": "2023-11-15 10:00:00",
                },
                {
                    "contact_id": "003ELI",
                    "account_id": "001GLOBEX",
                    "full_name": "Eli Park",
                    "title": "Head of IT",
                    "created_at": "2023-12-02 10:00:00",
                },
            ],
            "contact_roles": [
                {
                    "opportunity_id": "006A",
                    "contact_id": "003DANA",
                    "role": "Decision Maker",
                    "is_primary": "true",
                },
                {
                    "opportunity_id": "006A",
                    "contact_id": "003ELI",
                    "role": "Evaluator",
                    "is_primary": "false",
                },
                {"opportunity_id": "006B", "contact_id": "003ELI", "is_primary": "false"},
            ],
            "tickets": [
                {
                    "ticket_id": "500T1",
                    "account_id": "001ACME",
                    "contact_id": "003DANA",
                    "created_at": "2024-02-01 09:00:00",
                    "closed_at": "2024-02-02 10:00:00",
                    "priority": "normal",
                    "status": "Closed",
                },
                {
                    "ticket_id": "500T2",
                    "account_id": "001GLOBEX",
                    "created_at": "2024-03-01 08:00:00",
                    "priority": "urgent",
                    "status": "Escalated",
                },
                {
                    "ticket_id": "500T4",
                    "account_id": "001ACME",
                    "contact_id": "003ELI",
                    "created_at": "2024-03-10 12:00:00",
                    "closed_at": "2024-03-09 12:00:00",
                    "priority": "high",
                    "status": "Closed",
                },
            ],
        }
    )


def hubspot_contract() -> dict[str, list[dict[str, Any]]]:
    """The HubSpot story: deal C's close date is 03-20 at first, pushed to 04-30 on 03-05,
    its amount cut to 1,800 on 03-10 (deal_property_history); Ava's email 406 is kept, Sam's
    email 407 was deleted in HubSpot. source_order: each change's instant in epoch
    milliseconds, as the adapter writes it (every instant of the story is a whole second; C's
    initial values count at its first stage entry)."""
    tables = _hubspot_contract()
    orders = {
        (row["opportunity_id"], row["changed_at"]): _epoch_ms(row["changed_at"])
        for row in tables["opportunity_history"]
    }
    return _with_source_order(tables, orders)


def _hubspot_contract() -> dict[str, list[dict[str, Any]]]:
    return _contract(
        {
            "ava": "101",
            "sam": "102",
            "max": "103",
            "manager": "",
            "sam_role": "AE",
            "max_role": "AE",
            "active": "",
            "country": "US",
            "acme": "201",
            "globex": "202",
            "A": "301",
            "B": "302",
            "C": "303",
            "by": "ava@example.com",
            "C_amount": "1800",
            "C1_close": "2024-03-20",
            "C_history": [
                {
                    "opportunity_id": "303",
                    "changed_at": "2024-03-05 10:00:00",
                    "stage_name": "Proposal",
                    "amount": "2000",
                    "close_date": "2024-04-30",
                    "changed_by": "ava@example.com",
                },
                {
                    "opportunity_id": "303",
                    "changed_at": "2024-03-10 10:00:00",
                    "stage_name": "Proposal",
                    "amount": "1800",
                    "close_date": "2024-04-30",
                    "changed_by": "ava@example.com",
                },
            ],
            "activities": [
                {
                    "activity_id": "401",
                    "user_id": "101",
                    "activity_type": "call",
                    "activity_at": "2024-01-08 14:00:00",
                    "outcome": "connected",
                    "duration_minutes": "10",
                },
                {
                    "activity_id": "402",
                    "user_id": "101",
                    "activity_type": "call",
                    "activity_at": "2024-01-09 14:00:00",
                    "outcome": "no_answer",
                    "duration_minutes": "0.5",
                },
                {
                    "activity_id": "404",
                    "user_id": "101",
                    "activity_type": "meeting",
                    "activity_at": "2024-01-15 16:00:00",
                    "duration_minutes": "45",
                    "account_id": "201",
                    "opportunity_id": "301",
                },
                {
                    "activity_id": "406",
                    "user_id": "101",
                    "activity_type": "email",
                    "activity_at": "2024-01-11 10:00:00",
                },
            ],
            "contacts": [
                {
                    "contact_id": "501",
                    "account_id": "201",
                    "full_name": "Dana Lee",
                    "title": "Chief Financial Officer",
                    "created_at": "2023-11-15 10:00:00",
                },
                {
                    "contact_id": "502",
                    "account_id": "202",
                    "full_name": "Eli Park",
                    "title": "Head of IT",
                    "created_at": "2023-12-02 10:00:00",
                },
            ],
            # HubSpot associations carry no role and no primary flag
            "contact_roles": [
                {"opportunity_id": "301", "contact_id": "501"},
                {"opportunity_id": "301", "contact_id": "502"},
                {"opportunity_id": "302", "contact_id": "502"},
            ],
            "tickets": [
                {
                    "ticket_id": "601",
                    "account_id": "201",
                    "contact_id": "501",
                    "created_at": "2024-02-01 09:00:00",
                    "closed_at": "2024-02-02 10:00:00",
                    "priority": "normal",
                    "status": "Closed",
                },
                {
                    "ticket_id": "602",
                    "account_id": "202",
                    "created_at": "2024-03-01 08:00:00",
                    "priority": "urgent",
                    "status": "New",
                },
                {
                    "ticket_id": "604",
                    "account_id": "201",
                    "contact_id": "502",
                    "created_at": "2024-03-10 12:00:00",
                    "closed_at": "2024-03-09 12:00:00",
                    "priority": "high",
                    "status": "Closed",
                },
            ],
        }
    )


# ---------------------------------------------------------------------------------------------
# Same-second history. Deal F (Acme, Ava) was bulk-loaded on 2024-01-22 at 09:00:00 and touched
# by a workflow in that second: in its true order (OpportunityHistory Id, by code point:
# 008FB < 008Fa < 008Fz) it entered Prospecting at 600, moved to Proposal at 900, was cut to
# 700; it was won at 700 on 2024-02-12 10:00:00 (close date 03-15, then 02-12). The ids order
# the three rows unlike their file order (Fa, Fz, FB), unlike their stage names as text
# (Proposal < Prospecting), their amounts and their stage order then amount (a case-blind order
# of the ids, Fa < FB, would put Proposal at 900 first).

SAME_SECOND = "2024-01-22 09:00:00"
F_WON_AT = "2024-02-12 10:00:00"


def salesforce_same_second() -> dict[str, tuple[str, list[tuple]]]:
    """The Salesforce story's connector tables with deal F added, in a schema without the v5
    tables (contact, opportunity_contact_role, case)."""
    tables = {name: table for name, table in SALESFORCE.items() if name not in SALESFORCE_V5_TABLES}
    columns, rows = tables["opportunity"]
    deal = (
        "006F",
        "001ACME",
        "005AVA",
        "Acme bulk load",
        "New Business",
        "Web",
        SAME_SECOND,
        "2024-02-12",
        700.0,
        "Closed Won",
        100.0,
        True,
        True,
        None,
        False,
        SYNCED,
    )
    tables["opportunity"] = (columns, [*rows, deal])
    columns, rows = tables["opportunity_history"]
    history = [
        # id, created_date, stage_name, amount, close_date, probability, expected_revenue
        ("008Fa", SAME_SECOND, "Proposal", 900.0, "2024-03-15", 50.0, 450.0),
        ("008Fc", F_WON_AT, "Closed Won", 700.0, "2024-02-12", 100.0, 700.0),
        ("008Fz", SAME_SECOND, "Proposal", 700.0, "2024-03-15", 50.0, 350.0),
        ("008FB", SAME_SECOND, "Prospecting", 600.0, "2024-03-15", 10.0, 60.0),
    ]
    tables["opportunity_history"] = (
        columns,
        [
            *rows,
            *(
                (id_, "006F", at, stage, amount, close, "005AVA", chance, expected, False, SYNCED)
                for id_, at, stage, amount, close, chance, expected in history
            ),
        ],
    )
    return tables


def salesforce_same_second_history_mode() -> tuple[str, list[tuple]]:
    """History mode's `opportunity` for the same story: deal F's versions start 120, 450 and
    900 ms into its creation second (inserted out of order); the first is dated at its
    created_date, the others at their start, all in that second: their starts in epoch
    milliseconds order them."""
    columns, rows = salesforce_history_mode()
    end = "9999-12-31 23:59:59"

    def version(stage: str, amount: float, close: str, start: str, stop: str) -> tuple:
        active = stop == end
        return (
            "006F",
            "001ACME",
            "005AVA",
            SAME_SECOND,
            stage,
            amount,
            close,
            "f",
            "005AVA",
            False,
            start,
            stop,
            active,
            SYNCED,
        )

    versions = [
        version("Proposal", 700.0, "2024-03-15", f"{SAME_SECOND}.900", F_WON_AT),
        version("Prospecting", 600.0, "2024-03-15", f"{SAME_SECOND}.120", f"{SAME_SECOND}.450"),
        version("Closed Won", 700.0, "2024-02-12", F_WON_AT, end),
        version("Proposal", 900.0, "2024-03-15", f"{SAME_SECOND}.450", f"{SAME_SECOND}.900"),
    ]
    return columns, [*rows, *versions]


def salesforce_same_second_contract() -> dict[str, list[dict[str, Any]]]:
    """The raw contract files of salesforce_same_second(): deal F's history rows carry their
    Ids as source_order, in the connector's file order."""
    tables = {**salesforce_contract(), **{name: [] for name in V5_CONTRACT_TABLES}}
    tables["opportunities"].append(
        {
            "opportunity_id": "006F",
            "account_id": "001ACME",
            "owner_id": "005AVA",
            "opportunity_name": "Acme bulk load",
            "opportunity_type": "new_business",
            "lead_source": "Web",
            "created_at": SAME_SECOND,
            "close_date": "2024-02-12",
            "amount": "700",
            "stage_name": "Closed Won",
            "is_closed": "true",
            "is_won": "true",
        }
    )
    for source_order, at, stage, amount, close in [
        ("008Fa", SAME_SECOND, "Proposal", "900", "2024-03-15"),
        ("008Fc", F_WON_AT, "Closed Won", "700", "2024-02-12"),
        ("008Fz", SAME_SECOND, "Proposal", "700", "2024-03-15"),
        ("008FB", SAME_SECOND, "Prospecting", "600", "2024-03-15"),
    ]:
        tables["opportunity_history"].append(
            {
                "opportunity_id": "006F",
                "changed_at": at,
                "stage_name": stage,
                "amount": amount,
                "close_date": close,
                "changed_by": "005AVA",
                "source_order": source_order,
            }
        )
    return tables


def hubspot_same_second() -> dict[str, tuple[str, list[tuple]]]:
    """The HubSpot story's connector tables with deal F (306): the same path, its changes 120,
    450 and 900 ms into its creation second (deal_stage and deal_property_history rows
    inserted out of order); the 450 ms stage entry and amount change are one instant. A schema
    without the v5 tables (contact, deal_contact, ticket and its associations)."""
    tables = {name: table for name, table in HUBSPOT.items() if name not in HUBSPOT_V5_TABLES}
    columns, rows = tables["deal"]
    deal = (
        306,
        9,
        "default",
        "closedwon",
        101,
        False,
        "Acme bulk load",
        700.0,
        "2024-02-12 00:00:00",
        f"{SAME_SECOND}+00:00",
        "newbusiness",
        "Web",
        None,
        SYNCED,
    )
    tables["deal"] = (columns, [*rows, deal])
    columns, rows = tables["deal_company"]
    tables["deal_company"] = (columns, [*rows, (306, 201, 5, SYNCED)])
    end = "9999-12-31 23:59:59"
    stages = [
        # deal_id, _fivetran_start, _fivetran_end, _fivetran_active, date_entered, value
        (306, F_WON_AT, end, True, F_WON_AT, "closedwon"),
        (306, f"{SAME_SECOND}.450", F_WON_AT, False, f"{SAME_SECOND}.450", "presentationscheduled"),
        (
            306,
            f"{SAME_SECOND}.120",
            f"{SAME_SECOND}.450",
            False,
            f"{SAME_SECOND}.120",
            "appointmentscheduled",
        ),
    ]
    columns, rows = tables["deal_stage"]
    tables["deal_stage"] = (
        columns,
        [*rows, *((*stage, "CRM_UI", "ava@example.com", SYNCED) for stage in stages)],
    )
    properties = [
        ("amount", f"{SAME_SECOND}.900", "700"),
        ("closedate", F_WON_AT, "2024-02-12T00:00:00Z"),
        ("amount", f"{SAME_SECOND}.120", "600"),
        ("amount", f"{SAME_SECOND}.450", "900"),
        ("closedate", f"{SAME_SECOND}.120", "2024-03-15T00:00:00Z"),
    ]
    columns, rows = tables["deal_property_history"]
    tables["deal_property_history"] = (
        columns,
        [
            *rows,
            *(
                (306, name, "CRM_UI", "ava@example.com", at, value, SYNCED)
                for name, at, value in properties
            ),
        ],
    )
    return tables


def hubspot_same_second_contract() -> dict[str, list[dict[str, Any]]]:
    """The raw contract files of hubspot_same_second(): deal F (306) as one full-state row per
    instant, each carrying its instant in epoch milliseconds as source_order."""
    tables = {**hubspot_contract(), **{name: [] for name in V5_CONTRACT_TABLES}}
    tables["opportunities"].append(
        {
            "opportunity_id": "306",
            "account_id": "201",
            "owner_id": "101",
            "opportunity_name": "Acme bulk load",
            "opportunity_type": "new_business",
            "lead_source": "Web",
            "created_at": SAME_SECOND,
            "close_date": "2024-02-12",
            "amount": "700",
            "stage_name": "Closed Won",
            "is_closed": "true",
            "is_won": "true",
        }
    )
    for instant, stage, amount, close in [
        (f"{SAME_SECOND}.900", "Proposal", "700", "2024-03-15"),
        (F_WON_AT, "Closed Won", "700", "2024-02-12"),
        (f"{SAME_SECOND}.120", "Prospecting", "600", "2024-03-15"),
        (f"{SAME_SECOND}.450", "Proposal", "900", "2024-03-15"),
    ]:
        tables["opportunity_history"].append(
            {
                "opportunity_id": "306",
                "changed_at": instant[:19],
                "stage_name": stage,
                "amount": amount,
                "close_date": close,
                "changed_by": "ava@example.com",
                "source_order": _epoch_ms(instant),
            }
        )
    return tables


# the v5 contract tables the connectors feed (empty in the same-second schemas, which lack them)
V5_CONTRACT_TABLES = ("contacts", "opportunity_contact_roles", "support_tickets")

CONTRACT_COLUMNS = {
    "users": [
        "user_id",
        "full_name",
        "email",
        "role",
        "manager_id",
        "team",
        "segment",
        "hired_on",
        "is_active",
    ],
    "accounts": [
        "account_id",
        "account_name",
        "industry",
        "employee_count",
        "country",
        "segment",
        "owner_id",
        "created_at",
    ],
    "stages": ["stage_name", "stage_order", "default_probability", "is_closed", "is_won"],
    "opportunities": [
        "opportunity_id",
        "account_id",
        "owner_id",
        "presales_owner_id",
        "opportunity_name",
        "opportunity_type",
        "lead_source",
        "created_at",
        "close_date",
        "amount",
        "currency_code",
        "stage_name",
        "is_closed",
        "is_won",
        "loss_reason",
        "closed_at",
    ],
    "opportunity_history": [
        "opportunity_id",
        "changed_at",
        "stage_name",
        "amount",
        "close_date",
        "changed_by",
        "source_order",
    ],
    "leads": [
        "lead_id",
        "created_at",
        "lead_source",
        "owner_id",
        "status",
        "mql_at",
        "sql_at",
        "converted_at",
        "converted_opportunity_id",
        "converted_account_id",
        "disqualified_at",
        "disqualify_reason",
    ],
    "activities": [
        "activity_id",
        "user_id",
        "activity_type",
        "activity_at",
        "outcome",
        "duration_minutes",
        "lead_id",
        "contact_id",
        "account_id",
        "opportunity_id",
    ],
    "opportunity_line_items": [
        "line_item_id",
        "opportunity_id",
        "product_id",
        "quantity",
        "unit_price",
    ],
    "products": ["product_id", "product_name", "product_family", "list_price"],
    "contacts": ["contact_id", "account_id", "full_name", "title", "created_at"],
    "opportunity_contact_roles": ["opportunity_id", "contact_id", "role", "is_primary"],
    "support_tickets": [
        "ticket_id",
        "account_id",
        "contact_id",
        "product_user_id",
        "created_at",
        "closed_at",
        "priority",
        "status",
    ],
}


def write_contract(tables: dict[str, list[dict[str, Any]]], folder: Path) -> Path:
    """One `<table>.csv` per contract table (empty optional tables are left out)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        if not rows:
            continue
        columns = CONTRACT_COLUMNS[name]
        with (folder / f"{name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({column: row.get(column) or "" for column in columns})
    return folder
