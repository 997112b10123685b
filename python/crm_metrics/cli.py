"""`crm-metrics`: build the dbt project on DuckDB, export the marts, generate demo data.

Exit codes: 0 success, 1 a failure the message explains (`error: ...` on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml

from crm_metrics.errors import CrmMetricsError, DbtNodesFailedError

DEFAULT_DATABASE = Path("crm_metrics.duckdb")


def _iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def parse_vars(text: str | None) -> dict:
    """`--vars` as YAML or JSON (JSON is YAML); must be a mapping."""
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CrmMetricsError(
            f"--vars is not valid YAML or JSON ({problem}); "
            "write a mapping such as '{as_of_date: 2024-06-30}'"
        ) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CrmMetricsError(
            f"--vars must be a mapping of var names to values, got {type(value).__name__}; "
            "write e.g. '{as_of_date: 2024-06-30}'"
        )
    return {str(key): val for key, val in value.items()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-metrics",
        description="Sales and revenue metrics from raw CRM data (dbt on DuckDB).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build",
        help="load the raw data and build and test every model (one `dbt build`)",
        description="Seeds (or --raw-dir files), models and tests in one `dbt build`.",
    )
    build.add_argument(
        "--raw-dir",
        type=Path,
        metavar="DIR",
        help="folder of <table>.csv / <table>.parquet files (contract/raw_schema.yml) to use "
        "instead of the demo seeds",
    )
    build.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        metavar="FILE",
        help="working DuckDB file to build into (default: %(default)s)",
    )
    _add_serving_options(build)
    build.add_argument("--select", nargs="+", metavar="SELECTOR", help="dbt node selection")
    build.add_argument("--exclude", nargs="+", metavar="SELECTOR", help="dbt nodes to leave out")
    build.add_argument(
        "--full-refresh", action="store_true", help="rebuild incremental models from scratch"
    )
    build.add_argument(
        "--unit-tests",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run dbt's unit tests (they check the code, not the data); default: on the demo "
        "data only, left out with --raw-dir, var raw_dir / raw_schema or a source_system other "
        "than contract. Every data test runs either way, and leaving out only the unit tests "
        "still publishes",
    )
    build.add_argument(
        "--vars",
        metavar="YAML_OR_JSON",
        help="dbt vars, e.g. '{reporting_currency: EUR}' (see docs/vars.md)",
    )
    build.add_argument(
        "--as-of-date",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="'today' for every mart (default: the latest date in the data)",
    )
    build.add_argument(
        "--target", default="duckdb", help="profiles.yml target (default: %(default)s)"
    )
    build.add_argument(
        "--verbose",
        action="store_true",
        help="one line per node instead of the progress bar, and every data-quality reason",
    )
    build.set_defaults(func=_cmd_build)

    export = commands.add_parser(
        "export",
        help="write the core and marts tables to files plus manifest.json",
        description="One file per table of schemas core and marts (out/<schema>/<table>.<fmt>) "
        "and a manifest.json with row counts, columns and the as_of_date.",
    )
    _add_read_options(export)
    export.add_argument(
        "--out",
        type=Path,
        default=Path("out/marts"),
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    export.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    export.add_argument(
        "--no-pii",
        action="store_true",
        help="leave out the columns tagged as personal data (meta pii in the model YAML)",
    )
    export.set_defaults(func=_cmd_export)

    generate = commands.add_parser(
        "generate",
        help="write synthetic raw CRM data (one file per contract table)",
        description="Synthetic raw data following contract/raw_schema.yml, for demos and "
        "benchmarks; build it with `crm-metrics build --raw-dir DIR`.",
    )
    generate.add_argument("--out", type=Path, required=True, metavar="DIR")
    size = generate.add_mutually_exclusive_group()
    size.add_argument("--opportunities", type=_positive_int, metavar="N")
    size.add_argument("--scale", type=_positive_float, metavar="X")
    generate.add_argument("--seed", type=int, metavar="N", help="random seed (reproducible)")
    generate.add_argument("--format", choices=["csv", "parquet"], default="csv")
    generate.add_argument(
        "--no-v5",
        dest="v5",
        action="store_false",
        help="a v4 export: without the v5 tables (contacts, contact roles, sales costs, product "
        "users, usage events, support tickets) and v5 columns",
    )
    generate.set_defaults(func=_cmd_generate)

    bench = commands.add_parser(
        "bench",
        help="time a full and an incremental build against a floor at a given scale",
        description=(
            "Generate (or reuse) a Parquet dataset of the given scale, measure the floor (DuckDB "
            "reading every raw file into tables), dbt's start-up, a full build and an incremental "
            "build after about 1%% new and changed rows (crm_metrics.generate.changes); write "
            "bench.json."
        ),
    )
    bench_size = bench.add_mutually_exclusive_group()
    bench_size.add_argument(
        "--scale", type=_positive_float, default=1.0, help="1 = about 100k deals"
    )
    bench_size.add_argument(
        "--deals", type=_positive_int, metavar="N", help="a deal count instead of --scale"
    )
    bench.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    bench.add_argument(
        "--work",
        type=Path,
        default=Path("bench"),
        help="folder for the dataset, the database and bench.json (default ./bench)",
    )
    bench.add_argument(
        "--regenerate", action="store_true", help="generate the dataset even when it exists"
    )
    bench.add_argument(
        "--target",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="engine: duckdb, or spark (local Spark, profiles.yml target spark; no publish "
        "phase; small scales only: Spark spends seconds per statement)",
    )
    bench.add_argument(
        "--no-wait",
        action="store_true",
        help="measure once, at once, even when the 1-minute load average is above 2 (the run "
        "is then flagged as not quiet; by default it waits and repeats such a run)",
    )
    bench.set_defaults(func=_cmd_bench)

    contract = commands.add_parser(
        "contract",
        help="render or check the files generated from contract/raw_schema.yml",
    )
    contract_commands = contract.add_subparsers(dest="action", required=True, metavar="ACTION")
    contract_commands.add_parser(
        "render",
        help="rewrite models/generated/ (sources, seed types, the staging, validation, "
        "accepted-row, rejects and findings models with their YAML) and the contract macro",
    ).set_defaults(func=_cmd_contract_render)
    contract_commands.add_parser(
        "check",
        help="exit 1 when a rendered file differs from the contract, or models/generated/ holds "
        "a file the contract does not render",
    ).set_defaults(func=_cmd_contract_check)
    docs = commands.add_parser(
        "docs", help="render or check docs/metrics.md, the definitions from the model YAML"
    )
    docs_commands = docs.add_subparsers(dest="action", required=True, metavar="ACTION")
    docs_commands.add_parser("render", help="rewrite docs/metrics.md").set_defaults(
        func=_cmd_docs_render
    )
    docs_commands.add_parser(
        "check", help="exit 1 when docs/metrics.md differs from the model YAML"
    ).set_defaults(func=_cmd_docs_check)
    _add_import_parser(commands)
    _add_report_parser(commands)
    return parser


def _add_serving_options(build: argparse.ArgumentParser) -> None:
    """`build`'s options for the serving database and the working database's lock."""
    from crm_metrics.serving import DEFAULT_LOCK_WAIT_S, DEFAULT_STORAGE_VERSION

    build.add_argument(
        "--serving",
        type=Path,
        metavar="FILE",
        help="serving DuckDB file that readers open, replaced atomically after a whole-project "
        "build (default: <database name>.serving.duckdb next to --database)",
    )
    build.add_argument(
        "--no-publish",
        dest="publish",
        action="store_false",
        help="build the working database only; leave the serving database as it is",
    )
    build.add_argument(
        "--storage-version",
        default=DEFAULT_STORAGE_VERSION,
        metavar="VERSION",
        help="DuckDB release whose storage format the serving database is written in, or "
        "latest (default: %(default)s, which DuckDB 1.0.0 and every later release open; the "
        "working database stays in the installed DuckDB's format)",
    )
    build.add_argument(
        "--lock-wait",
        type=_non_negative_float,
        default=DEFAULT_LOCK_WAIT_S,
        metavar="SECONDS",
        help="how long to wait for another build of the same working database to finish "
        "(default: %(default)g; 0: refuse at once)",
    )


def _add_read_options(parser: argparse.ArgumentParser) -> None:
    """`export` / `report`: read the published snapshot of --database, or the --serving file."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        metavar="FILE",
        help="working database whose published snapshot is read "
        "(<name>.serving.duckdb next to it; default: %(default)s)",
    )
    source.add_argument(
        "--serving",
        type=Path,
        metavar="FILE",
        help="DuckDB file to read instead (another serving path, or a working database)",
    )


def _snapshot_to_read(args: argparse.Namespace) -> Path:
    from crm_metrics.serving import default_serving_path, missing_snapshot_error

    if args.serving is not None:
        return args.serving
    serving = default_serving_path(args.database.expanduser().resolve())
    if not serving.is_file():
        raise missing_snapshot_error(serving, args.database)
    return serving


def _add_report_parser(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report (charts of the marts, no network needed)",
        description="One HTML page for a sales leader: headline tiles for the as-of month, then "
        "a section per area (pipeline, results, forecast, activity and leads, presales, SaaS "
        "revenue, data quality) with a chart for every mart and filters for segment, team and "
        "period; the data behind each chart is embedded as JSON and the page needs no network.",
    )
    _add_read_options(report)
    report.add_argument(
        "--out",
        type=Path,
        default=Path("report.html"),
        metavar="FILE",
        help="HTML file to write (default: %(default)s)",
    )
    report.add_argument(
        "--open",
        action="store_true",
        help="open the report in the default browser when there is one",
    )
    report.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from crm_metrics.report import build_report

    path = build_report(_snapshot_to_read(args), args.out, progress=sys.stderr.isatty())
    print(f"wrote {path}")
    if args.open:
        import webbrowser

        if webbrowser.open(path.as_uri()):
            print(f"opened {path} in the default browser")
        else:
            print("no browser found to open the report; open the file above", file=sys.stderr)
    return 0


def _add_import_parser(commands: argparse._SubParsersAction) -> None:
    importer = commands.add_parser(
        "import",
        help="map a CRM export into raw contract files (build them with --raw-dir)",
        description="Write RAW_DIR/<table>.csv per contract table plus import_notes.md "
        "(inferences, rows that could not be mapped); then `crm-metrics build --raw-dir RAW_DIR`.",
    )
    systems = importer.add_subparsers(dest="system", required=True, metavar="SYSTEM")
    salesforce = systems.add_parser(
        "salesforce", help="folder of Salesforce <Object>.csv exports (Opportunity, ...)"
    )
    hubspot = systems.add_parser(
        "hubspot", help="folder of HubSpot exports (deals.csv, pipelines.json, ...)"
    )
    pipeline = systems.add_parser(
        "pipeline-csv", help="one flat file of deals (defaults fit the Maven CRM sample)"
    )
    for parser, source in ((salesforce, "DIR"), (hubspot, "DIR"), (pipeline, "FILE")):
        parser.add_argument("--from", dest="source", type=Path, required=True, metavar=source)
        parser.add_argument("--out", type=Path, required=True, metavar="RAW_DIR")
        parser.add_argument(
            "--date-order",
            choices=("MDY", "DMY"),
            help="order of numeric dates no value decides (default MDY; 14/03/2024 decides)",
        )
        parser.add_argument(
            "--timezone",
            default="UTC",
            metavar="TZ",
            help="time zone of datetimes written without an offset (default UTC)",
        )
        parser.add_argument(
            "--unknown-account",
            metavar="NAME",
            help="placeholder account for deals without one (default: leave empty, rejected)",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="write each table as a new part RAW_DIR/<table>/<load time>.csv with "
            "_loaded_at (a new load; earlier parts are kept)",
        )
        parser.set_defaults(func=_cmd_import)
    hubspot.add_argument("--pipeline", metavar="ID", help="deal pipeline id (default: default)")
    pipeline.add_argument(
        "--mapping", type=Path, metavar="FILE", help="YAML mapping (columns, stages, ...)"
    )
    pipeline.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="map one field to a column, e.g. owner=rep_name (repeatable)",
    )
    pipeline.add_argument("--accounts", type=Path, metavar="FILE", help="accounts file")
    pipeline.add_argument(
        "--sales-teams", type=Path, metavar="FILE", help="agent, manager, team file"
    )
    pipeline.add_argument("--products", type=Path, metavar="FILE", help="product catalogue")
    pipeline.add_argument(
        "--snapshot-date",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="export date (default: the latest date in the file)",
    )


def _cmd_import(args: argparse.Namespace) -> int:
    from crm_metrics.importers.dates import DateSettings

    settings = DateSettings(date_order=args.date_order, timezone=args.timezone)
    if args.system == "salesforce":
        from crm_metrics.importers.salesforce import import_salesforce

        result = import_salesforce(
            args.source,
            args.out,
            settings=settings,
            unknown_account=args.unknown_account,
            append=args.append,
        )
    elif args.system == "hubspot":
        from crm_metrics.importers.hubspot import import_hubspot

        result = import_hubspot(
            args.source,
            args.out,
            pipeline=args.pipeline,
            settings=settings,
            unknown_account=args.unknown_account,
            append=args.append,
        )
    else:
        from crm_metrics.importers.pipeline_csv import import_pipeline_csv, load_mapping

        overrides = {}
        for item in args.column:
            field_name, sep, column = item.partition("=")
            if not sep:
                raise CrmMetricsError(f"--column {item!r}: write FIELD=COLUMN")
            overrides[field_name.strip()] = column.strip()
        result = import_pipeline_csv(
            args.source,
            args.out,
            mapping=load_mapping(args.mapping, overrides),
            accounts=args.accounts,
            sales_teams=args.sales_teams,
            products=args.products,
            snapshot_date=dt.date.fromisoformat(args.snapshot_date) if args.snapshot_date else None,
            unknown_account=args.unknown_account,
            settings=settings,
            append=args.append,
        )
    print(result.summary())
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from crm_metrics.progress import BuildProgress, choose_mode
    from crm_metrics.runner import dq_report, dq_totals, uses_user_data
    from crm_metrics.serving import build_and_publish

    variables = parse_vars(args.vars)
    unit_tests = args.unit_tests
    if unit_tests is None:
        unit_tests = not uses_user_data(args.raw_dir, variables)
    progress = BuildProgress(sys.stdout, mode=choose_mode(sys.stdout, args.verbose))
    try:
        outcome = build_and_publish(
            args.database,
            serving=args.serving,
            publish_snapshot=args.publish,
            lock_wait=args.lock_wait,
            storage_version=args.storage_version,
            on_wait=lambda message: print(message, file=sys.stderr, flush=True),
            raw_dir=args.raw_dir,
            select=args.select,
            exclude=args.exclude,
            full_refresh=args.full_refresh,
            vars=variables,
            as_of_date=args.as_of_date,
            target=args.target,
            progress=progress,
            unit_tests=unit_tests,
        )
    except DbtNodesFailedError as exc:
        progress.close()
        print(progress.summary(exc.results), file=sys.stderr)
        raise
    finally:
        progress.close()
    # After a publish, read the snapshot: a build waiting for the lock may already be writing
    # the working database.
    read_from = outcome.published.path if outcome.published else args.database
    quality = (dq_report if args.verbose else dq_totals)(read_from)
    if outcome.freshness is not None:
        from crm_metrics.freshness import report

        fresh = report(outcome.freshness, verbose=args.verbose)
        quality = "\n".join(filter(None, [quality, fresh]))
    written = f"built {args.database.resolve()}\n{outcome.message}"
    print(progress.summary(outcome.results, data_quality=quality, written=written))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from crm_metrics.export import export_marts

    manifest = export_marts(
        _snapshot_to_read(args), args.out, fmt=args.format, exclude_pii=args.no_pii
    )
    print(f"wrote {manifest}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from crm_metrics.generate import generate

    options: dict = {"fmt": args.format, "v5": args.v5}
    if args.opportunities is not None:
        options["opportunities"] = args.opportunities
    if args.scale is not None:
        options["scale"] = args.scale
    if args.seed is not None:
        options["seed"] = args.seed
    try:
        rows = generate(args.out, **options)
    except (ValueError, OSError) as exc:
        raise CrmMetricsError(f"generate: {exc}") from None
    total = sum(rows.values()) if isinstance(rows, dict) else None
    tables = f"{len(rows)} tables, {total} rows" if total is not None else "raw tables"
    print(f"wrote {tables} to {args.out}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from crm_metrics.bench import format_table, run_bench

    args.work.mkdir(parents=True, exist_ok=True)
    result = run_bench(
        args.scale,
        args.work,
        seed=args.seed,
        deals=args.deals,
        reuse=not args.regenerate,
        wait=not args.no_wait,
        target=args.target,
    )
    print(format_table(result))
    print(f"figures: {(args.work / 'bench.json').resolve()}")
    return 0


def _cmd_contract_render(args: argparse.Namespace) -> int:
    from crm_metrics import contract_render

    root = contract_render.PROJECT_DIR
    changed = contract_render.render_all(root)
    for path in changed:
        print(f"rendered {path}" if (root / path).exists() else f"removed {path}")
    if not changed:
        print("rendered files are up to date")
    return 0


def stale_contract_files(project_dir: Path | None = None) -> list[Path]:
    from crm_metrics import contract_render

    return contract_render.stale_files(project_dir or contract_render.PROJECT_DIR)


def _cmd_contract_check(args: argparse.Namespace) -> int:
    stale = stale_contract_files()
    if stale:
        print(
            "error: not what contract/raw_schema.yml renders (or not rendered by it): "
            f"{', '.join(str(path) for path in stale)}; run `crm-metrics contract render`",
            file=sys.stderr,
        )
        return 1
    print("rendered contract files are up to date")
    return 0


def _cmd_docs_render(args: argparse.Namespace) -> int:
    from crm_metrics.docs import write

    print(f"rendered {write()}")
    return 0


def _cmd_docs_check(args: argparse.Namespace) -> int:
    from crm_metrics.docs import METRICS_PAGE, is_current

    if not is_current():
        print(
            f"error: {METRICS_PAGE} is stale; run `crm-metrics docs render` (make docs)",
            file=sys.stderr,
        )
        return 1
    print(f"{METRICS_PAGE} is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CrmMetricsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a path the user gave: missing folder, a file where a folder goes
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}:{where}; check the path", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
