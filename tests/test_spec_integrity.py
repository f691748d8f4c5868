"""Task specs are validated when they load: a misspelt check, on_fail key or field
path stops the service with a message naming the file, the field and what is allowed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.config import PROJECT_ROOT
from service.guards.checks import INPUT_CHECKS, OUTPUT_CHECKS, STRUCTURED_CHECKS, TEXT_CHECKS
from service.tasks.spec import SPEC_DIR, load_specs
from service.tasks.validation import SpecError

PROMPTS = PROJECT_ROOT / "prompts"


def specs_with(tmp_path: Path, name: str, change) -> Path:
    """A copy of the shipped specs with one of them edited by ``change(doc)``."""
    target = tmp_path / "specs"
    shutil.copytree(SPEC_DIR, target)
    path = target / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return target


def prompts_without_key_fact_value(tmp_path: Path) -> Path:
    """A prompts dir whose summary schema lost key_facts[].value (renamed to 'text')."""
    target = tmp_path / "prompts"
    shutil.copytree(PROMPTS, target)
    schema_path = target / "summary" / "schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    item = schema["properties"]["key_facts"]["items"]
    item["properties"]["text"] = item["properties"].pop("value")
    item["required"] = ["label", "text", "citation"]
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    return target


def test_the_shipped_specs_are_valid():
    assert set(load_specs(prompts_dir=PROMPTS)) == {"cs_answer", "styling", "summary"}


def test_the_check_names_are_the_validators_of_the_policy():
    from service.guards.policy import INPUT_VALIDATORS, OUTPUT_VALIDATORS

    assert tuple(INPUT_VALIDATORS) == INPUT_CHECKS
    assert tuple(OUTPUT_VALIDATORS) == TEXT_CHECKS and OUTPUT_CHECKS == TEXT_CHECKS + STRUCTURED_CHECKS


def test_an_unknown_output_check_stops_loading(tmp_path):
    specs = specs_with(tmp_path, "summary", lambda d: d["guard"].update(output_checks=["banned_word", "pii"]))
    with pytest.raises(SpecError) as err:
        load_specs(specs, PROMPTS)
    message = str(err.value)
    assert "summary.yaml" in message and "guard.output_checks" in message and "'banned_word'" in message
    assert "banned_words, pii, grounding, catalog" in message  # what is allowed


def test_an_unknown_input_check_stops_loading(tmp_path):
    specs = specs_with(tmp_path, "cs_answer", lambda d: d["guard"].update(input_checks=["pii", "injections"]))
    with pytest.raises(SpecError, match=r"cs_answer\.yaml.*guard\.input_checks.*'injections'.*allowed: pii, injection"):
        load_specs(specs, PROMPTS)


def test_an_on_fail_key_must_name_a_check_the_spec_runs(tmp_path):
    # catalog is a known check, but the summary spec does not run it.
    specs = specs_with(tmp_path, "summary", lambda d: d["guard"]["on_fail"].update(catalog="fix"))
    with pytest.raises(SpecError, match=r"summary\.yaml.*guard\.on_fail: 'catalog'.*allowed: banned_words, pii, grounding\)"):
        load_specs(specs, PROMPTS)


def test_an_on_fail_action_must_be_known(tmp_path):
    specs = specs_with(tmp_path, "summary", lambda d: d["guard"]["on_fail"].update(grounding="drop"))
    with pytest.raises(SpecError, match=r"summary\.yaml.*guard\.on_fail\.grounding"):
        load_specs(specs, PROMPTS)


def test_a_text_field_path_missing_from_the_output_schema_stops_loading(tmp_path):
    specs = specs_with(tmp_path, "summary", lambda d: d.update(text_fields=["summary", "key_facts[].valu"]))
    with pytest.raises(SpecError) as err:
        load_specs(specs, PROMPTS)
    message = str(err.value)
    assert "summary.yaml" in message and "text_fields" in message and "'key_facts[].valu'" in message
    assert "key_facts[].value" in message.split("allowed:")[1]


def test_a_label_field_must_be_a_string_field(tmp_path):
    specs = specs_with(tmp_path, "styling", lambda d: d.update(label_fields=["outfits"]))  # a list, not prose
    with pytest.raises(SpecError, match=r"styling\.yaml.*label_fields: 'outfits'.*allowed: outfits\[\]\.title"):
        load_specs(specs, PROMPTS)


def test_a_schema_change_invalidates_the_spec_that_relies_on_it(tmp_path):
    with pytest.raises(SpecError, match=r"summary\.yaml.*text_fields: 'key_facts\[\]\.value'.*key_facts\[\]\.text"):
        load_specs(SPEC_DIR, prompts_without_key_fact_value(tmp_path))


def test_an_app_with_an_invalid_spec_does_not_start(tmp_path, small_container):
    from service.api.app import create_app
    from tests.conftest import container_with

    container = container_with(small_container, prompts_dir=prompts_without_key_fact_value(tmp_path))
    with pytest.raises(SpecError):
        create_app(container)


def test_serve_exits_2_naming_the_spec_and_field_without_a_traceback(tmp_path):
    env = {**os.environ, "CG_PROMPTS_DIR": str(prompts_without_key_fact_value(tmp_path)),
           "CG_DATA_DIR": str(tmp_path / "var"), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--port", "1"], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "invalid task spec" in done.stderr and "summary.yaml" in done.stderr and "key_facts[].value" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_any_command_exits_2_on_an_invalid_spec(tmp_path, monkeypatch, capsys):
    from service import cli
    from service.config import get_settings

    monkeypatch.setenv("CG_PROMPTS_DIR", str(prompts_without_key_fact_value(tmp_path)))
    monkeypatch.setenv("CG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setattr(sys, "argv", ["commerce-guard", "ask", "summary", "P001"])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as done:
            cli.entry()
    finally:
        get_settings.cache_clear()
    assert done.value.code == 2
    assert "invalid task spec" in capsys.readouterr().err
