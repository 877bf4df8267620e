"""Every text in the Spanish and German catalogues is translated, none is left fuzzy, placeholders survive
translation, and the compiled .mo files hold what the .po files say (so a machine without gettext serves them)."""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%%|\{\w+\}")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def parse_po(path: Path) -> list[Entry]:
    """A small reader of gettext .po files: flags, context, singular, plural and each translated form."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            if current is not None:
                entries.append(current)
            current, target = None, None
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if match:
            keyword, index, text = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if keyword == "msgstr":
                target = ("msgstr", int(index or 0))
                current.msgstr[target[1]] = text
            else:
                target = (keyword, 0)
                setattr(current, keyword, text)
        elif line.startswith('"') and target is not None:
            text = ast.literal_eval(line)
            if target[0] == "msgstr":
                current.msgstr[target[1]] += text
            else:
                setattr(current, target[0], (getattr(current, target[0]) or "") + text)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    if current is not None:
        entries.append(current)
    return entries


# django: pages, e-mails and messages; djangojs: what the page scripts write (served by /jsi18n/).
DOMAINS = {"django": 500, "djangojs": 20}
CATALOGUES = [(language, domain) for language in LANGUAGES for domain in DOMAINS]


def catalogue(language: str, domain: str = "django") -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_entry_is_translated_and_none_is_fuzzy(language: str, domain: str) -> None:
    entries = parse_po(catalogue(language, domain))
    header, messages = entries[0], entries[1:]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert f"Language: {language}\\n" in repr(header.msgstr[0]).replace("\\\\", "\\")
    assert len(messages) > DOMAINS[domain]
    untranslated = [e.msgid for e in messages if not all(text.strip() for text in e.msgstr.values())]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_translations_keep_every_placeholder(language: str, domain: str) -> None:
    wrong = []
    for entry in parse_po(catalogue(language, domain))[1:]:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural is not None else [])
        expected = set().union(*(set(PLACEHOLDER.findall(source)) for source in sources))
        for text in entry.msgstr.values():
            if set(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.msgid, text))
    assert not wrong, f"{language}: placeholders changed in {wrong[:3]}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_the_compiled_catalogue_matches_the_po_file(language: str, domain: str) -> None:
    compiled = catalogue(language, domain).with_suffix(".mo")
    assert compiled.exists(), f"run `make messages` and commit {compiled}"
    with compiled.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    for entry in parse_po(catalogue(language, domain))[1:]:
        if entry.msgid_plural is not None:
            assert translations.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr[0], entry.msgid
            assert translations.ngettext(entry.msgid, entry.msgid_plural, 5) == entry.msgstr[1], entry.msgid
        elif entry.msgctxt is not None:
            assert translations.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr[0], entry.msgid
        else:
            assert translations.gettext(entry.msgid) == entry.msgstr[0], entry.msgid


def test_the_reader_sees_an_untranslated_and_a_fuzzy_entry(tmp_path: Path) -> None:
    sample = tmp_path / "django.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Hi %(name)s"\nmsgstr "Hallo %(name)s"\n\n'
        'msgid "Save"\nmsgstr ""\n\n'
        'msgid "One"\nmsgid_plural "Many"\nmsgstr[0] "Eins"\nmsgstr[1] ""\n"Viele"\n',
        encoding="utf-8")
    _header, fuzzy, empty, plural = parse_po(sample)
    assert "fuzzy" in fuzzy.flags and fuzzy.msgstr == {0: "Hallo %(name)s"}
    assert empty.msgstr == {0: ""}
    assert plural.msgid_plural == "Many" and plural.msgstr == {0: "Eins", 1: "Viele"}
