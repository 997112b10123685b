"""The raw input contract (contract/raw_schema.yml) and the files rendered from it.

The YAML file is the one place a raw table or column is declared. dbt cannot read arbitrary
files, so the dbt-side artefacts are rendered from it by `render_all` and committed: source
declarations, seed column types, a macro holding the tables and columns, and the staging,
validation, accepted-row and data-quality models as SQL (crm_metrics.contract_sql) with their
YAML (the accepted views' YAML is hand-written).
`crm-metrics contract check` (in `make lint`) fails when one is stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from crm_metrics.paths import PROJECT_DIR

CONTRACT_PATH = PROJECT_DIR / "contract" / "raw_schema.yml"

COLUMN_TYPES = ("text", "integer", "decimal", "boolean", "date", "timestamp")
GENERATED_HEADER = (
    "# Generated from contract/raw_schema.yml by `crm-metrics contract render`: do not edit.\n"
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    default: str | None = None
    non_negative: bool = False
    upper: bool = False
    month_start: bool = False
    references: str | None = None
    on_orphan: str | None = None
    pii: bool = False
    description: str | None = None
    range: tuple[float, float] | None = None

    @property
    def orphan_outcome(self) -> str | None:
        """`reject` or `null`: what a value missing from the referenced table does."""
        if self.references is None:
            return None
        return self.on_orphan or ("reject" if self.required else "null")

    @property
    def enum_fallback(self) -> str | None:
        """Value an out-of-enum raw value is normalised to."""
        if self.enum is None:
            return None
        for value in self.enum:
            if value.lower() == "other":
                return value
        return "unknown"


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)
    reject_rules: tuple[dict, ...] = field(default_factory=tuple)
    finding_rules: tuple[dict, ...] = field(default_factory=tuple)
    accepted_raw: tuple[str, ...] = ()
    order_column: str | None = None
    keep_smallest: str | None = None

    @property
    def nulling_rules(self) -> list[dict]:
        """The finding rules that also null their column (`nulls: true`)."""
        return [rule for rule in self.finding_rules if rule.get("nulls")]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def instant_key(self) -> tuple[str, ...]:
        """The key without its order column: what the rows one order column orders share."""
        return tuple(k for k in self.key if k != self.order_column)

    @property
    def order_rank(self) -> str | None:
        """The column the staging model adds for an order column: the row's rank in its
        instant (crm_metrics.contract_sql)."""
        return f"{self.order_column}_rank" if self.order_column else None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")


@dataclass(frozen=True)
class Contract:
    tables: dict[str, Table]

    @property
    def table_names(self) -> list[str]:
        return list(self.tables)

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


def _parse(raw: dict) -> Contract:
    tables: dict[str, Table] = {}
    for name, spec in raw["tables"].items():
        columns = []
        for col in spec["columns"]:
            if col["type"] not in COLUMN_TYPES:
                raise ValueError(f"contract: {name}.{col['name']} has unknown type {col['type']}")
            columns.append(
                Column(
                    name=col["name"],
                    type=col["type"],
                    required=bool(col.get("required", False)),
                    enum=tuple(col["enum"]) if "enum" in col else None,
                    default=col.get("default"),
                    non_negative=bool(col.get("non_negative", False)),
                    upper=bool(col.get("upper", False)),
                    month_start=bool(col.get("month_start", False)),
                    references=col.get("references"),
                    on_orphan=col.get("on_orphan"),
                    pii=bool(col.get("pii", False)),
                    description=col.get("description"),
                    range=tuple(col["range"]) if "range" in col else None,
                )
            )
        table = Table(
            name=name,
            required=bool(spec["required"]),
            description=spec["description"],
            key=tuple(spec["key"]),
            columns=tuple(columns),
            reject_rules=tuple(spec.get("reject_rules", ())),
            finding_rules=tuple(spec.get("finding_rules", ())),
            accepted_raw=tuple(spec.get("accepted_raw", ())),
            order_column=spec.get("order_column"),
            keep_smallest=spec.get("keep_smallest"),
        )
        for col in columns:
            if col.range and (col.type not in ("integer", "decimal") or col.required):
                raise ValueError(f"contract: {name}.{col.name} range needs an optional number")
        for attribute in ("key", "accepted_raw"):
            unknown = set(getattr(table, attribute)) - set(table.column_names)
            if unknown:
                raise ValueError(
                    f"contract: {name} {attribute} names unknown columns {sorted(unknown)}"
                )
        if table.order_column is not None:
            order = table.column(table.order_column)
            if table.key[-1] != order.name or order.type != "text" or order.required:
                raise ValueError(
                    f"contract: {name} order_column must be the last key column, optional text"
                )
        if table.keep_smallest is not None and (
            table.keep_smallest in table.key or table.keep_smallest not in table.column_names
        ):
            raise ValueError(f"contract: {name} keep_smallest must be a column outside the key")
        tables[name] = table
    return Contract(tables=tables)


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    with open(path, encoding="utf-8") as handle:
        return _parse(yaml.safe_load(handle))


# --- rendering -------------------------------------------------------------------------------

_DBT_TYPES = {
    "text": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 4)",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


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
                    "duplicate key, exact duplicate, ambiguous history order); null when usable."
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
                    "orphan:<col>, unknown_stage, parent_rejected, deleted_in_source (a source "
                    "adapter's deleted record), other_pipeline (a HubSpot deal of another "
                    "pipeline), or a contract rule."
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
                    "The staging reason, else the first failing reference check "
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


RENDERED = {
    Path("models/staging/crm/_crm__sources.yml"): render_sources,
    Path("seeds/_demo__seeds.yml"): render_seeds,
    Path("macros/generated/crm_raw_contract.sql"): render_macro,
    Path("models/staging/crm/_crm__models.yml"): render_staging_models,
    Path("models/data_quality/_data_quality__rejects__models.yml"): render_rejects_models,
    Path("models/intermediate/validation/_validation__required__models.yml"): (
        lambda contract: render_validated_models(contract, required=True)
    ),
    Path("models/intermediate/validation/_validation__optional__models.yml"): (
        lambda contract: render_validated_models(contract, required=False)
    ),
}


def rendered_files(contract: Contract | None = None) -> dict[Path, str]:
    from crm_metrics.contract_sql import rendered_sql

    contract = contract or load_contract()
    files = {path: render(contract) for path, render in RENDERED.items()}
    return {**files, **rendered_sql(contract)}


def render_all(project_dir: Path = PROJECT_DIR, contract: Contract | None = None) -> list[Path]:
    """Write the rendered files; return those whose content changed."""
    changed = []
    for rel, text in rendered_files(contract).items():
        target = project_dir / rel
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(rel)
    return changed
