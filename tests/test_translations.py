"""The zh-hans catalogue is complete: every interface string in the code has a translation."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent
CATALOGUE = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
SKIP = shutil.ignore_patterns(
    ".venv", "node_modules", "var", "mutants", ".git", "__pycache__", "*.mo"
)


def fresh_catalogue(tmp_path: Path) -> polib.POFile:
    """Extract the strings again from a copy of the tree and merge them into the catalogue."""
    copy = tmp_path / "tree"
    shutil.copytree(BASE_DIR, copy, ignore=SKIP)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore=tests/*",
            "-v",
            "0",
        ],
        cwd=copy,
        check=True,
    )
    return polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_every_string_in_the_code_is_translated(tmp_path):
    catalogue = fresh_catalogue(tmp_path)
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [], "run makemessages -l zh_Hans and translate these"
    assert fuzzy == []


def test_translations_keep_their_placeholders():
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)), (
                entry.msgid
            )
