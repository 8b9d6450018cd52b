"""Settings: each has its ZKELIG_* variable, is listed in `zkelig serve --help` and README.md's
"## Settings" table, and a value the service cannot read is refused by name."""

import dataclasses
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service import settings as s
from service.cli import app

ROOT = Path(__file__).resolve().parents[1]
# A value of the right kind for each setting, unlike its default.
SAMPLES = {int: ("7", 7), float: ("2.5", 2.5), str: ("something", "something"), bool: ("yes", True)}


@pytest.fixture
def clean_env(monkeypatch):
    """No ZKELIG_* variable set (restored afterwards, also those pass_to_workers writes)."""
    for name in [n for n in os.environ if n.startswith("ZKELIG_")] + ["OMP_WAIT_POLICY"]:
        monkeypatch.delenv(name, raising=False)
    for env, _, _ in s.documented():
        monkeypatch.delenv(env, raising=False)
    return monkeypatch


def _readme_settings_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Settings\n")
    assert text.index("\n## What is in it\n") > start, "## Settings comes just before ## What is in it"
    return text[start:text.index("\n## ", start + 1)]


def test_readme_table_is_the_settings():
    assert s.settings_table() in _readme_settings_section()


def test_every_setting_has_its_own_variable():
    names = [f.name for f in dataclasses.fields(s.Settings) if "env" not in f.metadata]
    assert names == ["clock"]  # injected by tests, not configuration
    variables = [env for env, _, _ in s.documented()]
    assert len(set(variables)) == len(variables) == len(dataclasses.fields(s.Settings)) - 1
    assert all(v.startswith("ZKELIG_") for v in variables)


def test_serve_help_lists_every_setting():
    out = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert out.exit_code == 0, out.output
    for env, default, meaning in s.documented():
        assert f"{env}: {meaning} (default: {default})" in out.output, env


def test_each_variable_sets_its_setting(clean_env, tmp_path):
    defaults = s.Settings()
    assert defaults.data_dir == s.ROOT / ".zkelig" / "data" and defaults.keys_dir == s.DEFAULT_KEYS_DIR
    assert defaults.ledger_url == f"sqlite:///{defaults.data_dir / 'ledger.db'}"
    for f in dataclasses.fields(s.Settings):
        if "env" not in f.metadata:
            continue
        kind = type(getattr(defaults, f.name))
        raw, value = (str(tmp_path), tmp_path) if kind in (Path, type(tmp_path)) else SAMPLES[kind]
        clean_env.setenv(f.metadata["env"], raw)
        read = getattr(s.Settings(), f.name)
        assert read == value != getattr(defaults, f.name), f.name
        assert getattr(s.Settings(**{f.name: getattr(defaults, f.name)}), f.name) == getattr(defaults, f.name)
        clean_env.delenv(f.metadata["env"])


@pytest.mark.parametrize(("env", "raw", "expected"), [
    ("ZKELIG_DEV_SETUP", "1", True), ("ZKELIG_DEV_SETUP", "TRUE", True), ("ZKELIG_DEV_SETUP", "0", False),
    ("ZKELIG_DEV_SETUP", "", False), ("ZKELIG_KEYS", "", s.DEFAULT_KEYS_DIR), ("ZKELIG_KEYS", "/k", Path("/k")),
    ("ZKELIG_DATABASE_URL", "postgresql://u@h/db", "postgresql://u@h/db"),
])
def test_variable_boundaries(clean_env, env, raw, expected):
    clean_env.setenv(env, raw)
    field = next(f.name for f in dataclasses.fields(s.Settings) if f.metadata.get("env") == env)
    assert getattr(s.Settings(), field) == expected


def test_keys_root_without_settings(clean_env):
    assert s.default_keys_dir() == s.DEFAULT_KEYS_DIR
    clean_env.setenv("ZKELIG_KEYS", "/elsewhere")
    assert s.default_keys_dir() == Path("/elsewhere")


@pytest.mark.parametrize(("env", "raw", "kind"), [("ZKELIG_PROVE_QUEUE", "two", "a whole number"),
                                                   ("ZKELIG_PROVE_QUEUE", "2.5", "a whole number"),
                                                   ("ZKELIG_ROOT_WINDOW_S", "1h", "a number")])
def test_an_unreadable_value_is_refused_by_name(clean_env, env, raw, kind):
    clean_env.setenv(env, raw)
    with pytest.raises(s.SettingsRefused, match=f"^{env}='{raw}' is not {kind}$"):
        s.Settings()


def test_serve_refuses_an_unreadable_value_in_one_line(clean_env):
    clean_env.setenv("ZKELIG_HOLDER_BURST", "lots")
    out = CliRunner().invoke(app, ["serve"])
    assert out.exit_code == 2
    assert out.output.strip() == "error: ZKELIG_HOLDER_BURST='lots' is not a whole number"


def test_pass_to_workers_writes_only_the_given_options(clean_env, tmp_path):
    clean_env.setenv("ZKELIG_DEV_SETUP", "1")
    s.pass_to_workers(database_url=None, data_dir=tmp_path, admin_key="", dev_setup=False,
                      forwarded_allow_ips="10.0.0.1")
    assert os.environ["ZKELIG_DATA_DIR"] == str(tmp_path)
    assert os.environ["ZKELIG_FORWARDED_ALLOW_IPS"] == "10.0.0.1"
    assert os.environ["ZKELIG_DEV_SETUP"] == "1"  # False leaves the environment's own value
    assert "ZKELIG_DATABASE_URL" not in os.environ and "ZKELIG_ADMIN_KEY" not in os.environ
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    s.pass_to_workers(dev_setup=True)
    worker = s.Settings()
    assert worker.data_dir == tmp_path and worker.dev_setup and worker.forwarded_allow_ips == "10.0.0.1"
    with pytest.raises(KeyError):
        s.pass_to_workers(no_such_setting="x")
