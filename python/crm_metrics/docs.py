"""docs/metrics.md, rendered from the model YAML: every public model (schemas core and marts) with
its description, grain and columns, and the semantic layer's metrics.

The YAML under models/ is the single source of the definitions; this module only lays them out
as one Markdown page that a reader (or a dashboard author) can open without dbt. `{{ doc('x') }}`
references are replaced by the `{% docs x %}` blocks of the `.md` files under models/.
`crm-metrics docs render` rewrites the page, `crm-metrics docs check` fails when it is stale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from crm_metrics.runner import PROJECT_DIR

METRICS_PAGE = Path("docs") / "metrics.md"
# Folders under models/marts whose models are public tables (semantic holds MetricFlow's spine).
PUBLIC_FOLDERS = ("core", "pipeline", "revenue", "activity")

_DOCS_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)
_DOC_CALL = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")


def docs_blocks(models_dir: Path) -> dict[str, str]:
    """Every `{% docs name %}` block of the Markdown files under `models_dir`, by name."""
    blocks: dict[str, str] = {}
    for path in sorted(models_dir.rglob("*.md")):
        for name, body in _DOCS_BLOCK.findall(path.read_text(encoding="utf-8")):
            if name in blocks:
                raise ValueError(f"{path}: docs block {name!r} is defined twice")
            blocks[name] = body.strip()
    return blocks


def _text(value: Any, blocks: dict[str, str]) -> str:
    """A description with its doc() calls resolved, on one line (Markdown table cells)."""

    def resolve(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in blocks:
            raise ValueError(f"doc({name!r}) has no `{{% docs {name} %}}` block under models/")
        return blocks[name]

    text = _DOC_CALL.sub(resolve, str(value or ""))
    return " ".join(text.split()).replace("|", "\\|")


def _yaml_files(models_dir: Path) -> list[Path]:
    return sorted(models_dir.rglob("*.yml"))


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _grain(model: dict[str, Any]) -> str:
    """The model's grain from its tests: a unique combination of columns, or a unique column."""
    for test in model.get("data_tests") or []:
        if isinstance(test, dict) and "unique_combination_of_columns" in test:
            spec = test["unique_combination_of_columns"] or {}
            columns = (spec.get("arguments") or spec).get("combination_of_columns") or []
            return ", ".join(f"`{column}`" for column in columns)
    for column in model.get("columns") or []:
        for test in column.get("data_tests") or []:
            if test == "unique" or (isinstance(test, dict) and "unique" in test):
                return f"`{column['name']}`"
    return "not declared by a test (see the description)"


def _column_type(column: dict[str, Any]) -> str:
    data_type = str(column.get("data_type") or "")
    if "crm_double_type" in data_type:
        return "double"
    return data_type


def render(project_dir: Path = PROJECT_DIR) -> str:
    """The text of docs/metrics.md for the project at `project_dir`."""
    models_dir = project_dir / "models"
    blocks = docs_blocks(models_dir)
    lines = [
        "# Metric definitions",
        "",
        "Generated from the model YAML under `models/` by `crm-metrics docs render`; do not edit",
        "by hand (`crm-metrics docs check` and python/tests/test_repository_docs.py fail when this",
        "page is stale). Money is in the reporting currency, rates are fractions, and every",
        '"today" is the var `as_of_date`.',
        "",
    ]
    metrics: list[dict[str, Any]] = []
    for folder in PUBLIC_FOLDERS:
        folder_dir = models_dir / "marts" / folder
        entries = []
        for path in _yaml_files(folder_dir):
            entries.extend(
                (path, model) for model in _load(path).get("models") or [] if model.get("name")
            )
        if not entries:
            continue
        lines += [f"## {folder} (`models/marts/{folder}/`)", ""]
        for path, model in sorted(entries, key=lambda entry: entry[1]["name"]):
            relative = path.relative_to(project_dir).as_posix()
            lines += [
                f"### {model['name']}",
                "",
                _text(model.get("description"), blocks),
                "",
                f"Grain: {_grain(model)}. Defined in `{relative}`.",
                "",
                "| column | type | definition |",
                "|---|---|---|",
            ]
            for column in model.get("columns") or []:
                definition = _text(column.get("description"), blocks)
                lines.append(f"| `{column['name']}` | {_column_type(column)} | {definition} |")
            lines.append("")
    for path in _yaml_files(models_dir):
        metrics.extend(_load(path).get("metrics") or [])
    if metrics:
        lines += [
            "## Semantic layer metrics (`models/marts/semantic/`)",
            "",
            "Query with `mf query` (README, Querying the result).",
            "",
            "| metric | label | type | definition |",
            "|---|---|---|---|",
        ]
        for metric in sorted(metrics, key=lambda metric: metric["name"]):
            lines.append(
                f"| `{metric['name']}` | {_text(metric.get('label'), blocks)} | "
                f"{metric.get('type', '')} | {_text(metric.get('description'), blocks)} |"
            )
        lines.append("")
    return "\n".join(lines)


def write(project_dir: Path = PROJECT_DIR) -> Path:
    """Rewrite docs/metrics.md; returns its path."""
    path = project_dir / METRICS_PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(project_dir), encoding="utf-8")
    return path


def is_current(project_dir: Path = PROJECT_DIR) -> bool:
    """Whether docs/metrics.md is what `render` gives now."""
    path = project_dir / METRICS_PAGE
    return path.is_file() and path.read_text(encoding="utf-8") == render(project_dir)
