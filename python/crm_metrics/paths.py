"""Where the project is: the folder with dbt_project.yml, two levels above this package."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
