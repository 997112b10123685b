"""Layers in one direction: no model reads a model of a later layer.

The layers and their folders are declared once, in order, in `layers.yml` at the project root.
dbt parses the project once; every `ref()` of every model in the manifest (the disabled
connector adapters too) must name a model of the same layer or of an earlier one. Checked on
hand-made manifests too: a planted up-reference and a model outside every layer are reported.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from crm_metrics.runner import PROJECT_DIR, run_dbt, work_dir

LAYERS_FILE = PROJECT_DIR / "layers.yml"


def load_layers(path: Path = LAYERS_FILE) -> list[tuple[str, list[str]]]:
    """(layer name, path prefixes) in the order data flows."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(layer["name"], list(layer["paths"])) for layer in data["layers"]]


def layer_of(path: str, layers: list[tuple[str, list[str]]]) -> int | None:
    """Index of the layer whose path prefix is the longest match of `path`, None if none."""
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            prefix = prefix.rstrip("/") + "/"
            if path.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def models_of(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every model by name, the disabled ones too (the connector adapters are disabled unless
    var source_system selects them, yet their ref()s must keep the order as well)."""
    nodes = list(manifest["nodes"].values())
    nodes += [node for versions in manifest.get("disabled", {}).values() for node in versions]
    return {node["name"]: node for node in nodes if node["resource_type"] == "model"}


def layer_problems(manifest: dict[str, Any], layers: list[tuple[str, list[str]]]) -> list[str]:
    """One line per model outside every layer and per ref() to a model of a later layer."""
    models = models_of(manifest)
    where = {name: layer_of(node["original_file_path"], layers) for name, node in models.items()}
    problems = [
        f"{node['original_file_path']}: in no layer of layers.yml"
        for name, node in sorted(models.items())
        if where[name] is None
    ]
    for name, node in sorted(models.items()):
        for parent in sorted({ref["name"] for ref in node["refs"]}):
            if parent not in models or where[name] is None or where[parent] is None:
                continue
            if where[parent] > where[name]:
                problems.append(
                    f"{name} ({layers[where[name]][0]}) reads "
                    f"{parent} ({layers[where[parent]][0]}), a later layer"
                )
    return problems


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    database = tmp_path_factory.mktemp("layers") / "parse.duckdb"
    run_dbt(["parse"], database=database, progress=False)
    return json.loads((work_dir(database) / "target" / "manifest.json").read_text("utf-8"))


def test_layers_file_names_each_layer_once() -> None:
    names = [name for name, _ in load_layers()]
    assert len(names) == len(set(names)) and len(names) >= 5, names


@pytest.mark.slow
def test_no_model_reads_a_later_layer(manifest: dict[str, Any]) -> None:
    models = models_of(manifest)
    assert len(models) > 100  # the whole project was parsed
    assert any(name.startswith("fivetran_") for name in models)  # the adapters too
    assert layer_problems(manifest, load_layers()) == []


@pytest.mark.slow
def test_a_planted_up_reference_is_reported(manifest: dict[str, Any]) -> None:
    planted = copy.deepcopy(manifest)
    states = models_of(planted)["int_opportunity_states"]
    states["refs"].append({"name": "dim_dates", "package": None, "version": None})
    assert layer_problems(planted, load_layers()) == [
        "int_opportunity_states (intermediate) reads dim_dates (core), a later layer"
    ]


@pytest.mark.slow
def test_a_model_outside_every_layer_is_reported(manifest: dict[str, Any]) -> None:
    planted = copy.deepcopy(manifest)
    models_of(planted)["mart_win_rate"]["original_file_path"] = "models/elsewhere/mart_win_rate.sql"
    assert layer_problems(planted, load_layers()) == [
        "models/elsewhere/mart_win_rate.sql: in no layer of layers.yml"
    ]


def test_longest_prefix_decides_the_layer() -> None:
    layers = [("intermediate", ["models/intermediate"]), ("core", ["models/marts/core"])]
    layers += [("marts", ["models/marts"]), ("validation", ["models/intermediate/validation"])]
    assert layer_of("models/marts/core/fct_mrr.sql", layers) == 1
    assert layer_of("models/marts/pipeline/mart_win_rate.sql", layers) == 2
    assert layer_of("models/intermediate/validation/int_x_validated.sql", layers) == 3
    assert layer_of("models/intermediate_extra/int_x.sql", layers) is None
