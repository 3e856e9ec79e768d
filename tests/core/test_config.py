"""county_reports.core.config: the one reader of include/config, and the rule that every loader uses it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from county_reports.core.config import ConfigError, Fields, fill_env, read_config_file

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "include" / "county_reports"
# The package, the DAGs and the Airflow plugins read include/config only through config.py.
SCANNED = (PACKAGE, ROOT / "dags", ROOT / "plugins")
CONFIG_MODULE = PACKAGE / "core" / "config.py"
_READS = {"open", "read_text", "read_bytes", "safe_load", "load", "full_load", "unsafe_load"}


def _config_hints(node: ast.AST) -> list[str]:
    """What in an expression says it points into the configuration folder."""
    hints = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and "config" in sub.id.lower():
            hints.append(sub.id)
        elif isinstance(sub, ast.Attribute) and "config" in sub.attr.lower():
            hints.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and \
                sub.value.endswith((".yaml", ".yml")):
            hints.append(repr(sub.value))
    return hints


def own_config_reads(source: str) -> list[str]:
    """Places in one module's source that parse YAML or open a config file without config.py."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name == "yaml" for a in node.names) or \
                isinstance(node, ast.ImportFrom) and node.module == "yaml":
            found.append(f"line {node.lineno}: imports yaml")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "yaml":
            found.append(f"line {node.lineno}: yaml.{node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in _READS:
                continue
            target = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(func, ast.Attribute):
                target.append(func.value)
            hints = [h for t in target for h in _config_hints(t)]
            if hints:
                found.append(f"line {node.lineno}: {name}() on {', '.join(hints)}")
    return found


def test_no_module_but_config_reads_config_files_itself():
    files = [p for root in SCANNED for p in sorted(root.rglob("*.py")) if p != CONFIG_MODULE]
    assert len(files) > 40 and PACKAGE / "core" / "messages.py" in files
    offenders = {str(p.relative_to(ROOT)): own_config_reads(p.read_text(encoding="utf-8")) for p in files}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"read include/config through county_reports.core.config: {offenders}"
    assert own_config_reads(CONFIG_MODULE.read_text(encoding="utf-8")), "the scan finds config.py's own reads"


@pytest.mark.parametrize("source", [
    "import yaml\n",
    "from yaml import safe_load\n",
    "import ruamel\nx = yaml.safe_load(s)\n",
    "open(config_dir / 'units.yaml')\n",
    "(settings.config_dir() / name).read_text()\n",
    "Path(root, 'messages.yaml').read_text(encoding='utf-8')\n",
    "with path_to_config.open() as fh: pass\n",
])
def test_the_scan_catches_each_way_of_reading_config(source):
    assert own_config_reads(source)


@pytest.mark.parametrize("source", [
    "open(lock_path, 'a')\n",
    "json.loads(path.read_text(encoding='utf-8'))\n",
    "read_config_file('units.yaml', config_dir)\n",
])
def test_the_scan_leaves_other_files_alone(source):
    assert not own_config_reads(source)


def test_read_config_file_names_file_and_line(tmp_path):
    (tmp_path / "x.yaml").write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_config_file("x.yaml", tmp_path)
    assert (err.value.file, err.value.key) == ("x.yaml", "line 2")
    assert str(err.value).startswith("x.yaml: line 2: not valid YAML")
    with pytest.raises(ConfigError, match=r"^y\.yaml: \(file\): file not found"):
        read_config_file("y.yaml", tmp_path)


def test_fill_env_and_fields_name_file_and_key():
    assert fill_env("${HOST}/api", "f.yaml", "k", {"HOST": "http://a/"}) == "http://a/api"
    with pytest.raises(ConfigError, match=r"^f\.yaml: k: environment variable NOPE is not set$"):
        fill_env("${NOPE}", "f.yaml", "k", {})
    with pytest.raises(ConfigError, match=r"^f\.yaml: top\.n: expected a whole number, got 'x'$"):
        Fields("f.yaml", "top", {"n": "x"}).get("n", int)


def test_no_shipped_config_file_says_a_key_twice():
    """YAML keeps the last of two equal keys silently: a pasted block would hide the first."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
        twice = sorted({str(k) for k in keys if keys.count(k) > 1})
        assert not twice, f"{node.start_mark.name}:{node.start_mark.line + 1}: {twice} twice"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    files = sorted((ROOT / "include" / "config").rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        with path.open(encoding="utf-8") as fh:
            yaml.load(fh, Loader=Strict)
    assert pytest.raises(AssertionError, yaml.load, "a: 1\nb: 2\na: 3\n", Loader=Strict)
