"""Building ``.h5p`` packages of our own content type, H5P.LiaotuChoice, from its source.

The library lives in ``liaotu_choice/`` next to this file. Tests build their packages here
instead of depending on third-party files; the demo (``courses/demo.py``) builds its activity
the same way. The interface texts (``l10n``) are written into the content from the library's
own translations, because h5p-standalone reads no ``language/*.json``: the content carries
them.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

LIBRARY_DIR = Path(__file__).resolve().parent / "liaotu_choice"
MACHINE_NAME = "H5P.LiaotuChoice"
MIN_ANSWERS, MAX_ANSWERS = 2, 6


@dataclass(frozen=True)
class Answer:
    text: str
    correct: bool = False
    feedback: str = ""


def library_json() -> dict:
    return json.loads((LIBRARY_DIR / "library.json").read_text(encoding="utf-8"))


def library_folder() -> str:
    data = library_json()
    return f"{data['machineName']}-{data['majorVersion']}.{data['minorVersion']}"


def library_files() -> dict[str, bytes]:
    """Every file of the library by its path inside the library folder."""
    return {
        path.relative_to(LIBRARY_DIR).as_posix(): path.read_bytes()
        for path in sorted(LIBRARY_DIR.rglob("*"))
        if path.is_file() and not path.name.startswith((".", "_"))
    }


def _l10n_fields(semantics: list) -> list[dict]:
    return next(field for field in semantics if field["name"] == "l10n")["fields"]


def interface_texts(language: str = "en") -> dict[str, str]:
    """The ``l10n`` texts: semantics.json's English defaults, or a translation's defaults."""
    semantics = json.loads((LIBRARY_DIR / "semantics.json").read_text(encoding="utf-8"))
    texts = {field["name"]: field["default"] for field in _l10n_fields(semantics)}
    translation = LIBRARY_DIR / "language" / f"{language}.json"
    if language != "en" and translation.exists():
        translated = json.loads(translation.read_text(encoding="utf-8"))["semantics"]
        # A language file mirrors semantics.json field by field, without the names.
        index = next(i for i, field in enumerate(semantics) if field["name"] == "l10n")
        for field, text in zip(_l10n_fields(semantics), translated[index]["fields"], strict=True):
            texts[field["name"]] = text.get("default", texts[field["name"]])
    return texts


def content_params(
    *, question: str, answers: list[Answer], language: str = "en", retry: bool = True
) -> dict:
    """content.json for one question; refuses what the content type cannot play."""
    if not question.strip():
        raise ValueError("The question is empty.")
    if not MIN_ANSWERS <= len(answers) <= MAX_ANSWERS:
        raise ValueError(f"A question has {MIN_ANSWERS} to {MAX_ANSWERS} answers.")
    if not any(answer.correct for answer in answers):
        raise ValueError("At least one answer must be correct.")
    return {
        "question": question,
        "answers": [
            {"text": a.text, "correct": a.correct, "feedback": a.feedback} for a in answers
        ],
        "behaviour": {"enableRetry": retry},
        "l10n": interface_texts(language),
    }


def package_entries(
    *,
    title: str,
    question: str,
    answers: list[Answer],
    language: str = "en",
    retry: bool = True,
) -> dict[str, bytes]:
    """The files of the package by their path in the zip, before zipping."""
    data = library_json()
    dependency = {
        "machineName": data["machineName"],
        "majorVersion": data["majorVersion"],
        "minorVersion": data["minorVersion"],
    }
    h5p = {
        "title": title,
        "language": language,
        "mainLibrary": MACHINE_NAME,
        "embedTypes": ["div"],
        "license": "U",
        "preloadedDependencies": [dependency],
    }
    params = content_params(question=question, answers=answers, language=language, retry=retry)
    entries = {
        "h5p.json": json.dumps(h5p, ensure_ascii=False, indent=2).encode(),
        "content/content.json": json.dumps(params, ensure_ascii=False, indent=2).encode(),
    }
    folder = library_folder()
    for path, content in library_files().items():
        entries[f"{folder}/{path}"] = content
    return entries


def zip_entries(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def build_package(
    *,
    title: str,
    question: str,
    answers: list[Answer],
    language: str = "en",
    retry: bool = True,
) -> bytes:
    """An ``.h5p`` package (zip bytes) holding H5P.LiaotuChoice and one question."""
    return zip_entries(
        package_entries(
            title=title, question=question, answers=answers, language=language, retry=retry
        )
    )
