"""The repository is valid for HACS and hassfest: manifest, hacs.json, translations, brand."""

import json
from pathlib import Path
import re

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


def test_translations_cover_every_translation_key_in_the_code() -> None:
    english = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    assert not (COMPONENT / "strings.json").exists()
    source = "\n".join(path.read_text(encoding="utf-8") for path in COMPONENT.glob("*.py"))
    used = set(re.findall(r'translation_key="([a-z_]+)"', source))
    known = (
        set(english["entity"]["sensor"])
        | set(english["entity"]["binary_sensor"])
        | set(english["exceptions"])
        | set(english["issues"])
    )
    assert used - known == set()
    assert "[%key:" not in json.dumps(english)


def test_brand_images_exist() -> None:
    for name in ("icon.png", "logo.png"):
        data = (COMPONENT / "brand" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
