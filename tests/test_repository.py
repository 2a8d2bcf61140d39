"""The repository is valid for HACS and hassfest: manifest, hacs.json, translations, brand."""

import ast
import json
from pathlib import Path
import re

import yaml

from custom_components.foresight import const, repairs

ROOT = Path(__file__).parents[1]
COMPONENT = ROOT / "custom_components" / "foresight"
# Keys HACS accepts in hacs.json (hacs/integration's validation schema).
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "hacs",
}
ENGLISH = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
# How the code names a translation key, by kind. Each pattern's group is the key.
ENTITY_KEY = r'translation_key="(\w+)"'
EXCEPTION_KEY = r'translation_domain=DOMAIN,\s*translation_key="(\w+)"'
SELECTOR_KEY = r"options=list\((\w+)\),\s*translation_key=(\w+)"
# errors["base"] = "key" in a step, or return {"base": "key"} from a validator.
FLOW_ERROR = r'(?:errors\[[^\]]+\] = |return \{[^:{}]+: )"(\w+)"'
FLOW_ABORT = r'async_abort\(reason="(\w+)"\)'
# Home Assistant's flow helpers that abort with a reason of their own.
IMPLIED_ABORTS = {
    "_abort_if_unique_id_configured": "already_configured",
    "async_update_reload_and_abort": "reconfigure_successful",
}


def test_manifest_keys_and_order() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "foresight"
    assert manifest["config_flow"] is True
    assert manifest["dependencies"] == ["recorder"]
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] == "calculated"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    # scikit-learn has no musl wheels: it must never be a hard requirement.
    assert not [r for r in manifest["requirements"] if r.lower().startswith("scikit")]
    # Home Assistant pins numpy itself.
    assert "numpy" in manifest["requirements"]


def test_hacs_json_has_only_known_keys() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "Foresight"
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", hacs["homeassistant"])


def _source(module: str) -> str:
    return (COMPONENT / f"{module}.py").read_text(encoding="utf-8")


def _aborts(module: str) -> set[str]:
    source = _source(module)
    implied = {reason for helper, reason in IMPLIED_ABORTS.items() if f"{helper}(" in source}
    return set(re.findall(FLOW_ABORT, source)) | implied


def _fix_flow_keys(section: str) -> set[str]:
    return {
        key
        for issue in ENGLISH["issues"].values()
        for key in issue.get("fix_flow", {}).get(section, {})
    }


def test_translations_are_one_english_file_without_references() -> None:
    assert not (COMPONENT / "strings.json").exists()
    assert "[%key:" not in json.dumps(ENGLISH)


def test_every_entity_and_exception_key_is_translated_and_used() -> None:
    for platform in ("sensor", "binary_sensor"):
        used = set(re.findall(ENTITY_KEY, _source(platform)))
        assert used == set(ENGLISH["entity"][platform])
    source = "\n".join(path.read_text(encoding="utf-8") for path in COMPONENT.glob("*.py"))
    assert set(re.findall(EXCEPTION_KEY, source)) == set(ENGLISH["exceptions"])


def test_every_issue_key_is_translated_and_used() -> None:
    # An issue's translation key is its kind: the constant each _set_issue call passes.
    calls = [
        node
        for node in ast.walk(ast.parse(_source("repairs")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_set_issue"
    ]
    kinds = {getattr(repairs, ast.unparse(call.args[2])) for call in calls}
    assert kinds == set(ENGLISH["issues"])
    assert set(re.findall(FLOW_ERROR, _source("repairs"))) == _fix_flow_keys("error")
    assert _aborts("repairs") == _fix_flow_keys("abort")


def test_every_flow_error_and_abort_is_translated_and_used() -> None:
    for module, section in (("config_flow", "config"), ("options_flow", "options")):
        assert set(re.findall(FLOW_ERROR, _source(module))) == set(ENGLISH[section]["error"])
        assert _aborts(module) == set(ENGLISH[section].get("abort", {}))


def test_every_action_and_selector_is_translated_and_used() -> None:
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8"))
    assert set(services) == set(ENGLISH["services"])
    for name, service in services.items():
        assert set(service["fields"]) == set(ENGLISH["services"][name]["fields"])
    selectors = {
        getattr(const, key): set(getattr(const, options))
        for options, key in re.findall(SELECTOR_KEY, _source("options_flow"))
    }
    for service in services.values():
        for field in service["fields"].values():
            if "translation_key" in (select := field["selector"].get("select") or {}):
                selectors[select["translation_key"]] = set(select["options"])
    assert selectors == {
        key: set(selector["options"]) for key, selector in ENGLISH["selector"].items()
    }


def test_brand_images_exist() -> None:
    for name in ("icon.png", "logo.png"):
        data = (COMPONENT / "brand" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
