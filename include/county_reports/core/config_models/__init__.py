"""One pydantic model per configuration file admins edit, and what uses them all.

The loaders validate a file through its model (:func:`validate`): a key the model does not
define is refused on every load, with the file and key path and a "did you mean". check-config
runs every model (:func:`check_files`); ``config-schema`` writes each model's JSON Schema to
``include/config/schema/<file>.schema.json`` for editors (:func:`schemas`).

Models live in :mod:`.catalog`, :mod:`.settings`, :mod:`.admins`, :mod:`.messages` and :mod:`.texts`;
this module imports them only when asked (the DAG files import the loaders when parsed, and a
loader imports its own model).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from county_reports.core.config_models.base import ConfigModel, to_config_error, unknown_key, validate

__all__ = ["ConfigModel", "FILES", "check_files", "model_for", "schema_files", "schema_text", "schemas",
           "to_config_error", "unknown_key", "validate", "write_schemas"]

# file → (module, model, the key prefix of its messages; optional: a deployment may lack the file)
FILES: dict[str, tuple[str, str, str, bool]] = {
    "bureau.yaml": ("catalog", "BureauFile", "bureau", False),
    "units.yaml": ("catalog", "UnitsFile", "", False),
    "indicators.yaml": ("catalog", "IndicatorsFile", "", False),
    "rules.yaml": ("catalog", "RulesFile", "", False),
    "targets.yaml": ("catalog", "TargetsFile", "", False),
    "county_targets.yaml": ("catalog", "CountyTargetsFile", "", True),
    "collection.yaml": ("settings", "CollectionFile", "", True),
    "reports.yaml": ("settings", "ReportsFile", "", False),
    "delivery.yaml": ("settings", "DeliveryFile", "", False),
    "mail.yaml": ("settings", "MailFile", "", False),
    "admins.yaml": ("admins", "AdminsFile", "", False),
    "edited.yaml": ("texts", "EditedFile", "", False),
    "history.yaml": ("texts", "HistoryFile", "history", False),
    "validation.yaml": ("texts", "ValidationFile", "", False),
    "template.yaml": ("texts", "TemplateFile", "", True),
    "ledger.yaml": ("texts", "LedgerFile", "", False),
    "projects.yaml": ("texts", "ProjectsFile", "", True),
    "example.yaml": ("texts", "ExampleFile", "", True),
    "messages.yaml": ("messages", "MessagesFile", "", False),
    "wording.yaml": ("texts", "WordingFile", "", False),
}
# loaders that name a top-level key "(top).key"
TOP = {"ledger.yaml": "(top)", "projects.yaml": "(top)"}
SCHEMA_DIR = "schema"


def model_for(file: str) -> Any:
    """The model class of configuration file ``file`` (e.g. ``units.yaml``)."""
    from importlib import import_module

    module, name, _, _ = FILES[file]
    return getattr(import_module(f"county_reports.core.config_models.{module}"), name)


def check_file(file: str, config_dir: str | Path | None = None) -> Any:
    """``file`` of ``config_dir`` read and validated by its model (None when optional and absent)."""
    from county_reports.core.config import config_path, read_config_file

    if FILES[file][3] and not config_path(file, config_dir).is_file():
        return None
    data = read_config_file(file, config_dir)
    return validate(model_for(file), {} if data is None and FILES[file][3] else data, file, FILES[file][2],
                    TOP.get(file, ""))


def read_checked(file: str, config_dir: str | Path | None = None) -> Any:
    """A catalogue file's YAML validated by its model (keys, types); the checks needing other
    files (kinds, sections, indicator codes) follow in its loader. targets.yaml may be empty."""
    from county_reports.core.config import ConfigError, read_config_file

    data = read_config_file(file, config_dir)
    if file == "targets.yaml" and data is None:
        return None
    if file != "targets.yaml" and not isinstance(data, dict):
        raise ConfigError(file, "(file)", "expected a mapping at the top level")
    validate(model_for(file), data, file)
    return data


def check_files(config_dir: str | Path | None = None) -> list[str]:
    """Every file of ``config_dir`` validated by its model (ConfigError for the first problem);
    returns the files checked."""
    return [file for file in FILES if check_file(file, config_dir) is not None]


def schemas() -> dict[str, dict]:
    """file → its JSON Schema (draft 2020-12), as editors read it."""
    out = {}
    for file in FILES:
        schema = model_for(file).model_json_schema(by_alias=True)
        out[file] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                     "$id": f"{file.removesuffix('.yaml')}.schema.json", **schema}
    return out


def schema_text(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def schema_files() -> dict[str, str]:
    """``<file>.schema.json`` → its text, as committed in ``include/config/schema``."""
    return {f"{file.removesuffix('.yaml')}.schema.json": schema_text(schema) for file, schema in schemas().items()}


def write_schemas(config_dir: str | Path) -> list[Path]:
    """Write every schema to ``{config_dir}/schema/<file>.schema.json``; returns the paths written."""
    folder = Path(config_dir) / SCHEMA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
