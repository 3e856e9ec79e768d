"""A copy of the shipped config a test may change, selected with COUNTY_REPORTS_CONFIG."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from county_reports.core import paths


def with_folder_channel(tmp_path: Path, monkeypatch) -> Path:
    """The shipped config, delivering to the folder ``tmp_path/office``; returns the config folder."""
    config = tmp_path / "config"
    shutil.copytree(paths.config_dir(), config)
    delivery = yaml.safe_load((config / "delivery.yaml").read_text(encoding="utf-8"))
    delivery["channel"] = "folder"
    delivery.setdefault("folder", {})["path"] = str(tmp_path / "office")
    (config / "delivery.yaml").write_text(yaml.safe_dump(delivery, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(config))
    return config


def one_file(tmp_path: Path, name: str) -> Path:
    """A config folder holding a copy of the shipped ``name`` alone (the loader under test)."""
    shutil.copy(paths.config_dir() / name, tmp_path / name)
    return tmp_path


def edit_yaml(path: Path, change) -> None:
    """Load the YAML file, let ``change`` edit the data in place, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
