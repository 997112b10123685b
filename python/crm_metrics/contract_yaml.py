"""The YAML files and the macro rendered from the raw contract (crm_metrics.contract):
dbt sources, the demo seeds' column types, the model YAML of the generated staging, validation,
accepted-row, rejects and findings models, and the contract macro. Where each file goes:
crm_metrics.contract_render.
"""

from __future__ import annotations

import json

import yaml

from crm_metrics.contract import Column, Contract, Table

GENERATED_HEADER = (
    "# Generated from contract/raw_schema.yml by `crm-metrics contract render`: do not edit.\n"
)


def _column_doc(col: Column) -> str:
    parts = [col.type]
    if col.required:
        parts.append("required")
    if col.enum:
        parts.append("one of " + ", ".join(col.enum))
    if col.default:
        parts.append(f"empty = {col.default}")
    if col.non_negative:
        parts.append("not negative")
    if col.range:
        parts.append(f"from {col.range[0]:g} to {col.range[1]:g}")
    if col.month_start:
        parts.append("first day of a month")
    if col.references:
        parts.append(f"references {col.references}")
    if col.pii:
        parts.append("personal data")
    if col.description:
        parts.append(col.description)
    return "; ".join(parts)


def _dump(doc: dict) -> str:
    """YAML with the header; a column without nested keys on one line (flow style)."""
    text = yaml.safe_dump(
        doc, sort_keys=False, width=100, allow_unicode=True, default_flow_style=None
    )
    return GENERATED_HEADER + text


# Source freshness (`dbt source freshness`): the load marker and the thresholds, from vars, under
# `config:` (dbt 1.10+). A raw table without the marker column is reported, not failed, by
# macro collect_freshness (macros/freshness/crm_collect_freshness.sql).
def freshness_config(loaded_at_field: str) -> dict:
    """The `config:` keys of a source whose tables may carry the load marker `loaded_at_field`."""
    return {
        "loaded_at_field": loaded_at_field,
        "freshness": {
            "warn_after": {
                "count": "{{ var('crm_freshness_warn_after_hours') }}",
                "period": "hour",
            },
            "error_after": {
                "count": "{{ var('crm_freshness_error_after_hours') }}",
                "period": "hour",
            },
        },
    }


def render_sources(contract: Contract) -> str:
    tables = []
    for table in contract.tables.values():
        tables.append(
            {
                "name": table.name,
                "description": f"One row per {table.description}. "
                + ("Required table." if table.required else "Optional table."),
                "config": {
                    "meta": {"required": table.required, "key": list(table.key)},
                },
                "columns": [
                    {
                        "name": col.name,
                        "description": _column_doc(col),
                        **({"config": {"meta": {"pii": True}}} if col.pii else {}),
                    }
                    for col in table.columns
                ],
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "crm",
                "description": (
                    "Raw CRM tables of the input contract (contract/raw_schema.yml). The schema "
                    "is var `raw_schema`; by default the bundled demo seeds (schema `raw_demo`), "
                    "or the files of var `raw_dir` loaded into schema `raw_files`."
                ),
                "schema": (
                    "{{ var('raw_schema', 'raw_files' if var('raw_dir', none) else 'raw_demo') }}"
                ),
                "config": freshness_config("{{ var('crm_loaded_at_column', '_loaded_at') }}"),
                "tables": tables,
            }
        ],
    }
    return _dump(doc)


# The demo seeds are built only on the demo path (the contract's tables, no raw_schema), unless
# var crm_demo_seeds says otherwise: never into a warehouse that reads its own raw tables or a
# connector's, as when the project is installed as a dbt package. Set here rather than in
# dbt_project.yml: dbt renders a package's dbt_project.yml without the root project's vars.
DEMO_SEEDS_ENABLED = (
    "{{ var('crm_demo_seeds') if var('crm_demo_seeds', none) is not none else "
    "(var('source_system', 'contract') in (none, 'contract') "
    "and var('raw_schema', none) is none) }}"
)


def render_seeds(contract: Contract) -> str:
    seeds = []
    for table in contract.tables.values():
        seeds.append(
            {
                "name": table.name,
                "description": f"Demo data: one row per {table.description}, loaded as text.",
                "config": {
                    "enabled": DEMO_SEEDS_ENABLED,
                    "column_types": {name: "varchar" for name in table.column_names},
                },
            }
        )
    return GENERATED_HEADER + yaml.safe_dump(
        {"version": 2, "seeds": seeds}, sort_keys=False, width=100
    )


_STAGED_TYPES = {
    "text": "varchar",
    "integer": "bigint",
    "decimal": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def _rank_column(table: Table) -> list[dict]:
    """The description of the rank column a table with an order column gets (none without)."""
    if not table.order_rank:
        return []
    instant = ", ".join(table.instant_key)
    return [
        {
            "name": table.order_rank,
            "description": (
                f"The row's place among the distinct {table.order_column} values of the rows "
                f"sharing its {instant} (1 = first): compared as numbers when all of them parse "
                "as numbers, else as text by code point; 1 for every row of such a group where "
                f"one row has no {table.order_column}, or where the row is alone. Rows sharing "
                f"it are one key. Models order the rows by {instant}, then this."
            ),
        }
    ]


def render_staging_models(contract: Contract) -> str:
    models = []
    for table in contract.tables.values():
        key = ", ".join(table.key)
        columns = [
            {
                "name": col.name,
                "description": f"Parsed {_STAGED_TYPES[col.type]} ({_column_doc(col)}).",
                **({"config": {"meta": {"pii": True}}} if col.pii else {}),
            }
            for col in table.columns
        ]
        columns += [
            {
                "name": "dq_row_key",
                "description": f"The key ({key}) as text, '|'-joined; for messages and findings"
                + (
                    f" ({table.order_column} only where the row has one)."
                    if table.order_column
                    else "."
                ),
            },
            *_rank_column(table),
            {
                "name": "reject_reason",
                "description": (
                    "Why the row cannot be used, from checks within this table (missing or "
                    "unparseable required value, negative required amount, contract rule, "
                    "duplicate key, exact duplicate, ambiguous history order, deleted_in_source "
                    "from the deleted marker), or `superseded`: an older load of a key whose "
                    "latest load is the record (no reject; counted in dq_summary); null when "
                    "usable."
                ),
            },
        ]
        columns += [
            {
                "name": f"raw_{col.name}",
                "description": f"Raw {col.name} as text, untouched.",
                **({"config": {"meta": {"pii": True}}} if col.pii else {}),
            }
            for col in table.columns
        ]
        models.append(
            {
                "name": f"stg_crm__{table.name}",
                "description": (
                    f"One row per raw {table.name} row (one per {table.description}), nothing "
                    "dropped: contract columns parsed, trimmed and normalised, plus the in-table "
                    "reject_reason and the raw text of every column."
                ),
                "columns": columns,
            }
        )
    return _dump({"version": 2, "models": models})


def render_rejects_models(contract: Contract) -> str:
    models = []
    for table in contract.tables.values():
        columns = [
            {
                "name": col.name,
                "description": f"Raw {col.name} as text, untouched.",
                **({"config": {"meta": {"pii": True}}} if col.pii else {}),
            }
            for col in table.columns
        ]
        columns += [
            {
                "name": "dq_row_key",
                "description": "The row's key as text ('|'-joined), as in dq_findings.row_key.",
            },
            {
                "name": "reject_reason",
                "description": (
                    "Why the row was rejected: missing_required:<col>, unparseable:<col>, "
                    "negative_value:<col>, duplicate_key, exact_duplicate, ambiguous_order, "
                    "orphan:<col>, unknown_stage, parent_rejected, deleted_in_source (a record "
                    "the source deleted: the latest load's deleted marker, or a source "
                    "adapter's deleted record), other_pipeline (a HubSpot deal of another "
                    "pipeline), or a contract rule. Superseded versions (older loads of a key) "
                    "are no rejects and are not here (dq_summary counts them)."
                ),
                "data_tests": ["not_null"],
            },
        ]
        models.append(
            {
                "name": f"dq_{table.name}_rejects",
                "description": (
                    f"One row per rejected raw {table.name} row, with its raw columns as text "
                    "and the reason. Rejected rows are left out of everything downstream; rows "
                    "that depend on them are rejected too (parent_rejected)."
                ),
                "columns": columns,
            }
        )
    return _dump({"version": 2, "models": models})


def render_validated_models(contract: Contract, required: bool) -> str:
    """The validated models of the required tables, or of the optional ones (two files: one
    would be some 500 lines)."""
    models = []
    for table in contract.tables.values():
        if table.required != required:
            continue
        refs = [col for col in table.columns if col.references]
        columns = [
            {"name": col.name, "description": f"Parsed value ({_column_doc(col)})."}
            for col in table.columns
        ]
        columns += [
            {"name": "dq_row_key", "description": "The key as text ('|'-joined)."},
            *_rank_column(table),
            {
                "name": "reject_reason",
                "description": (
                    "The staging reason (`superseded` for an older load of a key: no reject, "
                    "left out of the rejects table), else the first failing reference check "
                    "(orphan:<col>, unknown_stage, parent_rejected); null when accepted."
                ),
                # on this table rather than on the staging view: a test on the view re-runs
                # the whole staging query (a minute and more at ten million rows)
                "data_tests": [
                    {
                        "accepted_values": {
                            "arguments": {
                                "values": [
                                    "duplicate_key",
                                    "exact_duplicate",
                                    "ambiguous_order",
                                    "unknown_stage",
                                    "parent_rejected",
                                    # a source adapter's deleted record, a HubSpot deal
                                    # of another pipeline (models/adapters)
                                    "deleted_in_source",
                                    "other_pipeline",
                                    # an older load of a key (the version rule)
                                    "superseded",
                                    *[r["reason"] for r in table.reject_rules],
                                ]
                            },
                            "config": {
                                "where": "reject_reason not like 'missing_required:%'"
                                " and reject_reason not like 'unparseable:%'"
                                " and reject_reason not like 'negative_value:%'"
                                " and reject_reason not like 'orphan:%'"
                            },
                        }
                    }
                ],
            },
        ]
        columns += [
            {
                "name": f"dq_orphan_{col.name}",
                "description": (
                    f"orphan or parent_rejected when {col.name} did not resolve to an accepted "
                    f"{col.references} (the value is nulled and listed in dq_findings)."
                ),
            }
            for col in refs
            if col.orphan_outcome == "null"
        ]
        columns += [
            {
                "name": f"dq_rule_{rule['column']}",
                "description": (
                    f"{rule['finding']} when {rule['when']} held on the parsed value (the "
                    f"value is nulled and listed in dq_findings)."
                ),
            }
            for rule in table.nulling_rules
        ]
        columns += [
            {"name": f"raw_{col.name}", "description": f"Raw {col.name} as text."}
            for col in table.columns
        ]
        checks = ", ".join(f"{c.name} → {c.references} ({c.orphan_outcome})" for c in refs)
        unique_key = [*table.instant_key, table.order_rank] if table.order_rank else list(table.key)
        models.append(
            {
                "name": f"int_{table.name}_validated",
                "description": (
                    f"One row per raw {table.name} row with its final reject_reason after the "
                    f"cross-table checks ({checks or 'none'}). Accepted rows: reject_reason is "
                    "null. Materialised as a table because many models read it."
                ),
                "data_tests": [
                    {
                        "unique_combination_of_columns": {
                            "arguments": {"combination_of_columns": unique_key},
                            "config": {"where": "reject_reason is null"},
                        }
                    }
                ],
                "columns": columns,
            }
        )
    return _dump({"version": 2, "models": models})


def contract_as_json(contract: Contract) -> dict:
    """What the macros read of the contract: tables, their keys and columns, and which are
    required (crm_raw_table, crm_load_raw_dir, dq_summary, dq_table_alerts, the reconcile
    test). Parses and rules are written into the rendered models instead."""
    return {
        "tables": {
            table.name: {
                "required": table.required,
                "key": list(table.key),
                "columns": [
                    {"name": col.name, "type": col.type, "required": col.required}
                    for col in table.columns
                ],
            }
            for table in contract.tables.values()
        }
    }


def render_macro(contract: Contract) -> str:
    # a table per block and a column per line: readable, and a diff shows what changed
    tables = []
    for name, spec in contract_as_json(contract)["tables"].items():
        columns = ",\n".join("      " + json.dumps(col, sort_keys=True) for col in spec["columns"])
        rest = "".join(
            f"    {json.dumps(k)}: {json.dumps(v, sort_keys=True)},\n"
            for k, v in sorted(spec.items())
            if k != "columns"
        )
        tables.append(
            f'  {json.dumps(name)}: {{\n    "columns": [\n{columns}\n    ],\n{rest}'.rstrip(",\n")
            + "\n  }"
        )
    payload = '{"tables": {\n' + ",\n".join(tables) + "\n}}"
    if json.loads(payload) != contract_as_json(contract):
        raise AssertionError("contract macro: the JSON does not round-trip")
    if "'" in payload or "\\" in payload:
        raise ValueError("contract: a quote or backslash cannot be written into the macro")
    return (
        "{# Generated from contract/raw_schema.yml by `crm-metrics contract render`: "
        "do not edit. #}\n"
        "{% macro crm_raw_contract() %}\n"
        "{{ return(fromjson('\n" + payload + "\n')) }}\n"
        "{% endmacro %}\n"
    )


# The types of the accepted views' columns, as the model YAML spells them (CONTRIBUTING.md,
# "YAML files"): a staged decimal is a double.
_ACCEPTED_TYPES = {
    "text": "string",
    "integer": "bigint",
    "decimal": "{{ var('crm_double_type')[target.type] }}",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


def _sentence(text: str) -> str:
    """`text` with a capital first letter and a final full stop."""
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def render_accepted_models(contract: Contract) -> str:
    """The accepted-row views: the contract columns typed and described, the grain and the
    validated-minus-rejected test."""
    models = []
    for table in contract.tables.values():
        columns = []
        for col in table.columns:
            doc = _column_doc(col)
            if col.name in table.key:
                # the key after the type: "text; key; required; ..."
                doc = doc.replace(col.type, f"{col.type}; key", 1)
            columns.append(
                {
                    "name": col.name,
                    "data_type": _ACCEPTED_TYPES[col.type],
                    "description": _sentence(doc),
                    **({"config": {"meta": {"pii": True}}} if col.pii else {}),
                }
            )
        columns += [
            {
                "name": rank["name"],
                "data_type": "bigint",
                "description": rank["description"],
                "data_tests": ["not_null"],
            }
            for rank in _rank_column(table)
        ]
        columns += [
            {"name": f"raw_{name}", "data_type": "string", "description": f"Raw {name} as text."}
            for name in table.accepted_raw
        ]
        unique_key = [*table.instant_key, table.order_rank] if table.order_rank else list(table.key)
        models.append(
            {
                "name": f"int_{table.name}_accepted",
                "description": (
                    f"One row per accepted {table.description}: the rows of "
                    f"int_{table.name}_validated without a reject_reason. Models read accepted "
                    "rows here and filter no rejects."
                ),
                "data_tests": [
                    {
                        "is_validated_minus_rejected": {
                            "arguments": {"validated": f"ref('int_{table.name}_validated')"}
                        }
                    },
                    {
                        "unique_combination_of_columns": {
                            "arguments": {"combination_of_columns": unique_key}
                        }
                    },
                ],
                "columns": columns,
            }
        )
    return _dump({"version": 2, "models": models})


# The kinds of finding dq_findings holds besides the contract's finding_rules: the contract's
# column checks (crm_metrics.contract_sql, _findings), the deal checks of
# int_opportunity_findings and a source adapter's (macro crm_adapter_findings).
FINDING_KINDS = (
    "unknown_enum_value",
    "unparseable",
    "negative_value",
    "out_of_range",
    "orphan_reference",
    "parent_rejected",
    "not_month_start",
    "flag_disagrees_with_stage",
    "disagrees_with_history",
    "derived_from_deals",
)

_FINDING_COLUMNS = {
    "table_name": "Raw table of the row.",
    "row_key": "The row's key ('|'-joined for composite keys).",
    "column_name": "The column with the faulty value.",
    "finding": "Kind of finding (see the model description).",
    "raw_value": "The raw value as text.",
}


def render_findings_models(contract: Contract, tables: list[Table]) -> str:
    """dq_findings and the per-table models it unions (`tables`: those with a check)."""
    rules = [(table, rule) for table in contract.tables.values() for rule in table.finding_rules]
    rule_kinds = [rule["finding"] for _, rule in rules]
    rule_text = ", ".join(
        f"{rule['finding']} ({table.name}.{rule['column']} where {rule['when']}; value "
        + ("nulled)" if rule.get("nulls") else "kept)")
        for table, rule in rules
    )
    findings = {
        "name": "dq_findings",
        "description": (
            "One row per finding: a faulty value on a row that is still used. Kinds: "
            "unknown_enum_value (normalised to other / unknown), unparseable, negative_value and "
            "out_of_range (optional value nulled; out_of_range: outside the column's contract "
            "range, such as a stage's default_probability outside 0 to 1), orphan_reference and "
            "parent_rejected (optional reference nulled), the contract's finding_rules: "
            f"{rule_text}, "
            "not_month_start (a month date moved to the first of its month), and on deals "
            "flag_disagrees_with_stage and disagrees_with_history (history wins). A source "
            "adapter adds its own (macro crm_adapter_findings): out_of_range (a connector "
            "probability outside its range, left out of the stage default it would feed, or "
            "nulled) and derived_from_deals (an account created_at the connector lacks, taken "
            "from its earliest deal). The union of int_<table>_column_findings (the contract's "
            "checks, one model per raw table), int_opportunity_findings and the adapter's."
        ),
        "columns": [
            {
                "name": "table_name",
                "description": _FINDING_COLUMNS["table_name"],
                "data_tests": ["not_null"],
            },
            {"name": "row_key", "description": _FINDING_COLUMNS["row_key"]},
            {"name": "column_name", "description": _FINDING_COLUMNS["column_name"]},
            {
                "name": "finding",
                "description": _FINDING_COLUMNS["finding"],
                "data_tests": [
                    {"accepted_values": {"arguments": {"values": [*FINDING_KINDS, *rule_kinds]}}}
                ],
            },
            {"name": "raw_value", "description": _FINDING_COLUMNS["raw_value"]},
        ],
    }
    per_table = [
        {
            "name": f"int_{table.name}_column_findings",
            "description": (
                f"One row per finding of the contract's checks on an accepted {table.name} row "
                f"(one per {table.description}): its enum, number, month and optional-reference "
                "checks and finding_rules. A view in schema intermediate, read only by "
                "dq_findings."
            ),
            "columns": [
                {"name": name, "description": text} for name, text in _FINDING_COLUMNS.items()
            ],
        }
        for table in tables
    ]
    return _dump({"version": 2, "models": [findings, *per_table]})
