"""The repository documents itself and stands alone (no dbt build needed, fast):

- every model has exactly one YAML entry, in a file of the folder holding its SQL; unit tests
  sit in the folder of the model they test; YAML files follow one naming scheme
  (CONTRIBUTING.md, "YAML files") and none reaches 400 lines;
- docs/metrics.md is what `crm-metrics docs render` gives from the YAML now, and the renderer
  resolves docs blocks, grains and types (checked on a hand-written project);
- no tracked file points at a path outside the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from crm_metrics import docs

PROJECT_DIR = Path(__file__).resolve().parents[2]
MODELS_DIR = PROJECT_DIR / "models"
MAX_YAML_LINES = 400
GENERATED_DIR = MODELS_DIR / "generated"
# _<folder>__models.yml, _<folder>__<topic>__models.yml, _<folder>__sources.yml, and
# _<folder>__seeds.yml (the demo seeds' properties, rendered beside the sources).
YAML_NAME = r"_{folder}(__[a-z0-9_]+)?__(models|sources|seeds)\.yml"
# models/ itself holds only the exposures and the docs blocks shared by every folder.
ROOT_FILES = {"exposures.yml", "_docs.md"}


def yaml_files() -> list[Path]:
    return sorted(MODELS_DIR.rglob("*.yml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def test_every_model_has_one_yaml_entry_in_its_own_folder() -> None:
    sql = {path.stem: path.parent for path in MODELS_DIR.rglob("*.sql")}
    entries: dict[str, list[Path]] = {}
    problems = []
    for path in yaml_files():
        for model in load(path).get("models") or []:
            entries.setdefault(model["name"], []).append(path)
            if model["name"] not in sql:
                problems.append(f"{path.relative_to(PROJECT_DIR)}: {model['name']} has no SQL")
            elif sql[model["name"]] != path.parent:
                where = sql[model["name"]].relative_to(PROJECT_DIR)
                problems.append(
                    f"{path.relative_to(PROJECT_DIR)} describes {model['name']}, whose SQL is "
                    f"in {where}/"
                )
        for unit in load(path).get("unit_tests") or []:
            if sql.get(unit["model"]) != path.parent:
                problems.append(
                    f"{path.relative_to(PROJECT_DIR)}: unit test {unit['name']} tests "
                    f"{unit['model']}, which is not in this folder"
                )
    for name in sorted(sql):
        if len(entries.get(name, [])) != 1:
            files = [str(path.relative_to(PROJECT_DIR)) for path in entries.get(name, [])]
            problems.append(f"model {name}: {len(files)} YAML entries {files}, not 1")
    assert problems == [], "\n".join(problems)


def test_yaml_files_follow_one_naming_scheme_and_stay_short() -> None:
    problems = []
    for path in yaml_files() + sorted(MODELS_DIR.rglob("*.md")):
        relative = path.relative_to(PROJECT_DIR)
        if path.name == "README.md" and path.parent != MODELS_DIR:
            continue  # a folder's page for readers (models/generated/README.md), no docs blocks
        if path.parent == MODELS_DIR:
            if path.name not in ROOT_FILES:
                problems.append(f"{relative}: models/ holds only {sorted(ROOT_FILES)}")
            continue
        folder = re.escape(path.parent.name)
        pattern = YAML_NAME.format(folder=folder)
        if path.suffix == ".md":
            pattern = rf"_{folder}__docs\.md"
        if not re.fullmatch(pattern, path.name):
            problems.append(f"{relative}: name does not match {pattern}")
        lines = len(path.read_text(encoding="utf-8").splitlines())
        # the limit keeps hand-written YAML readable; a rendered file grows with the contract
        # and is changed only through it (models/generated/README.md)
        generated = GENERATED_DIR in path.parents
        if lines >= MAX_YAML_LINES and not generated:
            problems.append(f"{relative}: {lines} lines, the limit is under {MAX_YAML_LINES}")
    assert problems == [], "\n".join(problems)


def test_no_inline_type_ternary() -> None:
    """A column's type is a portable name or the one double macro, never an inline ternary."""
    found = [
        f"{path.relative_to(PROJECT_DIR)}:{number}"
        for path in yaml_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "data_type:" in line and " if " in line
    ]
    assert found == [], f"{len(found)} inline type ternaries, first: {found[:10]}"


def test_docs_metrics_page_is_current() -> None:
    assert docs.is_current(PROJECT_DIR), (
        "docs/metrics.md is stale: run `crm-metrics docs render` (make docs) and commit it"
    )


def test_docs_check_command_fails_on_a_stale_page(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from crm_metrics.cli import main

    assert main(["docs", "check"]) == 0
    monkeypatch.setattr(docs, "render", lambda project_dir: "# something else\n")
    assert main(["docs", "check"]) == 1
    assert "crm-metrics docs render" in capsys.readouterr().err


def test_every_docs_block_is_used() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in yaml_files())
    unused = sorted(name for name in docs.docs_blocks(MODELS_DIR) if f"doc('{name}')" not in text)
    assert unused == [], f"docs blocks no YAML uses: {unused}"


def test_render_resolves_docs_blocks_grain_and_types(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "marts" / "revenue"
    folder.mkdir(parents=True)
    (tmp_path / "models" / "_docs.md").write_text(
        "{% docs month %}\nFirst day of the\nmonth.\n{% enddocs %}\n", encoding="utf-8"
    )
    (folder / "_revenue__models.yml").write_text(
        """
models:
  - name: mart_b
    description: Second | by name.
    columns:
      - name: id
        data_type: string
        description: An id.
        data_tests: [unique]
  - name: mart_a
    description: First.
    data_tests:
      - unique_combination_of_columns:
          arguments: {combination_of_columns: [month, segment]}
    columns:
      - name: month
        data_type: date
        description: "{{ doc('month') }}"
      - name: rate
        data_type: "{{ var('crm_double_type')[target.type] }}"
        description: A fraction.
metrics:
  - name: m
    label: M
    type: simple
    description: The m.
""",
        encoding="utf-8",
    )
    page = docs.render(tmp_path)
    assert page.index("### mart_a") < page.index("### mart_b")
    assert "Grain: `month`, `segment`." in page
    assert "Grain: `id`." in page
    assert "| `month` | date | First day of the month. |" in page
    assert "| `rate` | double | A fraction. |" in page
    assert "Second \\| by name." in page
    assert "| `m` | M | simple | The m. |" in page

    (folder / "_revenue__models.yml").write_text(
        "models:\n  - name: x\n    description: \"{{ doc('missing') }}\"\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="missing"):
        docs.render(tmp_path)


# Built from pieces so that this file does not match itself.
OUTSIDE = [
    re.escape("../" + "shared"),
    re.escape("/work" + "/"),
    re.escape("spec/" + "marts.md"),
    re.escape("STYLE" + ".md"),
]


def test_no_tracked_file_points_outside_the_repository() -> None:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout: {exc}")
    pattern = re.compile("|".join(OUTSIDE))
    found = []
    for name in listed.decode().split("\0"):
        path = PROJECT_DIR / name
        if not name or not path.is_file() or name.startswith("python/tests/digests/"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == [], "references outside the repository:\n" + "\n".join(found)


def test_yaml_files_cited_in_model_sql_exist_and_describe_the_model() -> None:
    """A model's SQL that says "see _x__models.yml" points at a file that exists; when that file
    is in the model's own folder, it is the one describing the model (files get split)."""
    problems = []
    for sql in sorted(MODELS_DIR.rglob("*.sql")):
        for cited in sorted(set(re.findall(r"_[a-z0-9_]+__models\.yml", sql.read_text()))):
            matches = list(MODELS_DIR.rglob(cited))
            relative = sql.relative_to(PROJECT_DIR)
            if not matches:
                problems.append(f"{relative}: cites {cited}, which does not exist")
                continue
            local = sql.parent / cited
            if local.exists():
                document = yaml.safe_load(local.read_text(encoding="utf-8")) or {}
                names = {model.get("name") for model in document.get("models") or []}
                if sql.stem not in names:
                    problems.append(f"{relative}: cites {cited}, which does not describe it")
    assert problems == [], "\n".join(problems)
