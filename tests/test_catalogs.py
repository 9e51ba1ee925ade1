"""The translation catalogs: every key in every shipped language, with the same parameters."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest

from queue_server.config import (
    ACCESSIBILITY_FEATURES,
    Catalog,
    ConfigError,
    MissingTextError,
    default_catalog_dir,
    load_office,
)
from queue_server.core.errors import CODES
from queue_server.core.settings import SHIPPED_LANGUAGES

REQUIRED_KEYS = (
    *(f"error.{code}" for code in CODES),
    *(f"accessibility.{feature}" for feature in ACCESSIBILITY_FEATURES),
    *(
        f"outcome.{outcome}"
        for outcome in (
            "served",
            "refused",
            "referred",
            "behaviour",
            "transferred",
            "no_show",
            "cancelled",
            "expired",
        )
    ),
    *(f"weekday.{day}" for day in range(7)),
    "hours.closed",
    "hours.today",
    "hours.pre_holiday",
    "hours.holiday",
    *(f"language.{lang}" for lang in SHIPPED_LANGUAGES),
    "complaint.right",
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def params(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def test_every_shipped_language_has_a_catalog(catalog: Catalog) -> None:
    assert catalog.languages == SHIPPED_LANGUAGES
    for lang in SHIPPED_LANGUAGES:
        assert (default_catalog_dir() / f"{lang}.toml").is_file()


def test_every_catalog_has_the_same_keys(catalog: Catalog) -> None:
    latvian = catalog.keys("lv")
    for lang in SHIPPED_LANGUAGES:
        keys = catalog.keys(lang)
        assert not latvian - keys, f"{lang} lacks {sorted(latvian - keys)}"
        assert not keys - latvian, f"{lang} has extra {sorted(keys - latvian)}"


@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
def test_every_required_key_is_translated(catalog: Catalog, lang: str) -> None:
    """Every error code, feature, outcome, weekday, hours text, language and the complaint right."""
    missing = [key for key in REQUIRED_KEYS if key not in catalog.keys(lang)]
    assert not missing, f"{lang} lacks {missing}"


def test_every_feature_the_configuration_uses_is_translated(catalog: Catalog) -> None:
    office = load_office()
    used = {
        feature
        for division in office.divisions.values()
        for counter in division.counters
        for feature in counter.accessibility
    }
    assert used <= set(ACCESSIBILITY_FEATURES)
    for lang in SHIPPED_LANGUAGES:
        assert {f"accessibility.{feature}" for feature in used} <= catalog.keys(lang)


def test_parameters_are_the_same_in_every_language(catalog: Catalog) -> None:
    for key in catalog.keys("lv"):
        expected = params(catalog.raw("lv", key))
        for lang in SHIPPED_LANGUAGES:
            assert params(catalog.raw(lang, key)) == expected, f"{lang}: {key}"


def test_languages_are_named_in_their_own_words(catalog: Catalog) -> None:
    own = {lang: catalog.text(lang, f"language.{lang}") for lang in SHIPPED_LANGUAGES}
    assert own == {"lv": "Latviešu", "en": "English", "ru": "Русский", "uk": "Українська"}
    for lang in SHIPPED_LANGUAGES:
        for named in SHIPPED_LANGUAGES:
            assert catalog.text(lang, f"language.{named}") == own[named]


def test_texts_differ_between_languages(catalog: Catalog) -> None:
    """A catalog is translated, not copied: error sentences differ from the Latvian ones."""
    for lang in ("en", "ru", "uk"):
        same = [
            code
            for code in CODES
            if catalog.text(lang, f"error.{code}") == catalog.text("lv", f"error.{code}")
        ]
        assert not same, f"{lang}: {same}"


def test_parameters_are_filled_in(catalog: Catalog) -> None:
    assert catalog.text("en", "hours.today", open="09:00", close="16:30") == "Today 09:00–16:30"
    office = load_office()
    right = catalog.text(
        "lv", "complaint.right", address=office.contacts.address, email=office.contacts.email
    )
    assert "pasts@pmlp.gov.lv" in right and "Čiekurkalna" in right


def test_missing_text_falls_back_to_latvian(tmp_path: Path) -> None:
    (tmp_path / "lv.toml").write_text('[hours]\nclosed = "Slēgts"\n', encoding="utf-8")
    (tmp_path / "en.toml").write_text("[hours]\n", encoding="utf-8")
    catalog = Catalog.load(tmp_path)
    assert catalog.text("en", "hours.closed") == "Slēgts"
    assert catalog.text("de", "hours.closed") == "Slēgts"
    with pytest.raises(MissingTextError) as caught:
        catalog.text("en", "hours.nowhere")
    assert caught.value.key == "hours.nowhere"
    assert isinstance(caught.value, ConfigError)


def test_broken_catalogs_report_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "lv.toml").write_text('[hours]\nclosed = 5\ntoday = ""\n', encoding="utf-8")
    (tmp_path / "en.toml").write_text("[hours\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Catalog.load(tmp_path)
    text = str(caught.value)
    assert f"{tmp_path / 'lv.toml'}: hours.closed: must be a non-empty string" in text
    assert f"{tmp_path / 'lv.toml'}: hours.today: must be a non-empty string" in text
    assert f"{tmp_path / 'en.toml'}: not valid TOML" in text


def test_a_catalog_directory_without_latvian_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('[hours]\nclosed = "Closed"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lv\.toml"):
        Catalog.load(tmp_path)
