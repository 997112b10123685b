"""The generated tree: which file each rendering of the raw contract is written to, rendering
them (`crm-metrics contract render`, `make contract`) and finding stale ones (`crm-metrics
contract check`, in `make lint`).

Everything rendered lives in one folder, GENERATED_DIR, in a sub-folder per kind, and nothing
else lives there: render removes a file of the tree it no longer writes (a table dropped from the
contract). The one file outside is the contract macro (CONTRACT_MACRO): a `.sql` file under the
model paths is read by dbt as a model, so a macro cannot sit in models/generated/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crm_metrics import contract_sql, contract_yaml
from crm_metrics.contract import Contract, load_contract
from crm_metrics.paths import PROJECT_DIR

GENERATED_DIR = Path("models") / "generated"
CONTRACT_MACRO = Path("macros") / "generated" / "crm_raw_contract.sql"

STAGING = GENERATED_DIR / "staging"
VALIDATION = GENERATED_DIR / "validation"
ACCEPTED = GENERATED_DIR / "accepted"
REJECTS = GENERATED_DIR / "rejects"
FINDINGS = GENERATED_DIR / "findings"

README = """\
# Generated models: do not edit

Every file of this folder is rendered from the raw input contract,
[`contract/raw_schema.yml`](../../contract/raw_schema.yml), by `crm-metrics contract render`
(`make contract`). Never edit them: `make lint` (`crm-metrics contract check`) fails when one
differs from what the contract renders, and the next render overwrites it. The contract file is
the one place where a raw table, a column, a parse, a reject rule or a finding rule changes;
change it, run `make contract`, and commit the contract with what the render changed.

- `staging/`: the dbt sources (`_staging__sources.yml`), the demo seeds' column types
  (`_staging__seeds.yml`) and `stg_crm__<table>`, one per raw table: every column parsed, the
  checks within the table (schema `staging`, views).
- `validation/`: `int_<table>_validated`, the staged rows with the checks across tables
  (orphans, rejected parents; schema `intermediate`, tables).
- `accepted/`: `int_<table>_accepted`, the rows without a reject_reason, which the rest of the
  project reads (schema `intermediate`, views).
- `rejects/`: `dq_<table>_rejects`, every rejected row with its raw text and reason (schema
  `data_quality`, tables).
- `findings/`: `int_<table>_column_findings`, the contract's checks on the used rows of a table
  (schema `intermediate`, views, not published), and `dq_findings`, their union with the deal
  and source-adapter findings (schema `data_quality`, a table).

Schemas and materializations are set per folder in `dbt_project.yml`.

One rendered file lives outside this folder, where dbt needs it:
`macros/generated/crm_raw_contract.sql`, the contract's tables, keys and columns for the macros
that read them (loading raw files, `dq_summary`, `dq_table_alerts`). dbt reads a macro only from
its macro paths and reads every `.sql` file under `models/` as a model. The demo seeds'
properties file is here, although the seed files are in `seeds/demo/`: dbt reads a properties
file from any of the project's folders.

The hand-written models that read these (`dq_summary`, `dq_table_alerts` in
`models/data_quality/`, and everything under `models/intermediate/` and `models/marts/`) live
outside this folder.
"""


def _per_table(
    contract: Contract, folder: Path, name: str, render: Callable
) -> dict[Path, Callable[[Contract], str]]:
    """One file per contract table: `name` formatted with the table's name."""
    return {
        folder / name.format(table=table.name): (lambda _, table=table: render(table))
        for table in contract.tables.values()
    }


def layout(contract: Contract) -> dict[Path, Callable[[Contract], str]]:
    """Every rendered file (relative to the project) and the function rendering it."""
    with_findings = [t for t in contract.tables.values() if contract_sql.has_findings(t)]
    files: dict[Path, Callable[[Contract], str]] = {
        GENERATED_DIR / "README.md": lambda _: README,
        CONTRACT_MACRO: contract_yaml.render_macro,
        STAGING / "_staging__sources.yml": contract_yaml.render_sources,
        STAGING / "_staging__seeds.yml": contract_yaml.render_seeds,
        STAGING / "_staging__models.yml": contract_yaml.render_staging_models,
        **_per_table(contract, STAGING, "stg_crm__{table}.sql", contract_sql.render_staging_sql),
        VALIDATION / "_validation__required__models.yml": (
            lambda c: contract_yaml.render_validated_models(c, required=True)
        ),
        VALIDATION / "_validation__optional__models.yml": (
            lambda c: contract_yaml.render_validated_models(c, required=False)
        ),
        **_per_table(
            contract, VALIDATION, "int_{table}_validated.sql", contract_sql.render_validated_sql
        ),
        ACCEPTED / "_accepted__models.yml": contract_yaml.render_accepted_models,
        **_per_table(
            contract, ACCEPTED, "int_{table}_accepted.sql", contract_sql.render_accepted_sql
        ),
        REJECTS / "_rejects__models.yml": contract_yaml.render_rejects_models,
        **_per_table(contract, REJECTS, "dq_{table}_rejects.sql", contract_sql.render_rejects_sql),
        FINDINGS / "_findings__models.yml": (
            lambda c: contract_yaml.render_findings_models(c, with_findings)
        ),
        FINDINGS / "dq_findings.sql": contract_sql.render_findings_sql,
    }
    for table in with_findings:
        files[FINDINGS / f"int_{table.name}_column_findings.sql"] = lambda _, table=table: (
            contract_sql.render_table_findings_sql(table)
        )
    return files


def rendered_files(contract: Contract | None = None) -> dict[Path, str]:
    """Every rendered file's path (relative to the project) and text."""
    contract = contract or load_contract()
    return {path: render(contract) for path, render in layout(contract).items()}


def _unrendered(project_dir: Path, rendered: dict[Path, str]) -> list[Path]:
    """Files of the generated tree that the render does not write."""
    tree = project_dir / GENERATED_DIR
    if not tree.is_dir():
        return []
    found = (path.relative_to(project_dir) for path in tree.rglob("*") if path.is_file())
    return sorted(path for path in found if path not in rendered)


def render_all(project_dir: Path = PROJECT_DIR, contract: Contract | None = None) -> list[Path]:
    """Write the rendered files and remove the tree's files no longer rendered; return the
    paths written or removed."""
    rendered = rendered_files(contract)
    changed = []
    for rel, text in rendered.items():
        target = project_dir / rel
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(rel)
    for rel in _unrendered(project_dir, rendered):
        (project_dir / rel).unlink()
        changed.append(rel)
    return changed


def stale_files(project_dir: Path = PROJECT_DIR) -> list[Path]:
    """Rendered files that are missing or differ from the render, and files of the generated
    tree the render does not write."""
    rendered = rendered_files()
    stale = [
        rel
        for rel, text in rendered.items()
        if not (project_dir / rel).is_file()
        or (project_dir / rel).read_text(encoding="utf-8") != text
    ]
    return stale + _unrendered(project_dir, rendered)
