"""The body of ``scripts/mutation``: choose the mutants, run mutmut over them, print the scores.

mutmut 3 mutates every function of the files in ``[tool.mutmut] source_paths``. Two things are
decided here, after mutmut has written its mutants and before it runs them:

* **Scope.** Of ``media/uploads.py`` only the limit checks are ours to score, and of
  ``oral_history/selectors.py`` only the access decisions, of ``oral_history/oai.py`` only what
  a harvester may send and see (``SCOPE`` below); the other
  functions' mutants, and those of modules not asked for on the command line, are marked
  skipped so that mutmut does not run them.
* **Message wording.** A mutant that only changes the text inside ``_("...")`` changes what a
  reader is told, not what is allowed: refusals are asserted by their stable code, and the
  wording has its own check (the translation catalogue). Those mutants are counted and shown,
  but neither run nor scored. (A change to a ``%(name)s`` placeholder is not wording: it breaks
  the formatting, and is run like any other mutant.)

Every mutant in scope is run afresh each time (``--keep`` keeps the verdicts of mutants already
killed, to iterate quickly on survivors). The score of a module is
``killed / (mutants in scope - documented equivalents)``; documented equivalents are the
survivors listed, with their reasons, in ``scripts/mutation-survivors.md``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 90.0
SURVIVORS_FILE = ROOT / "scripts" / "mutation-survivors.md"
# One quick database test: running it creates the test database from the migrations.
CREATES_DB = (
    "media/tests/test_can_read.py::test_a_private_file_without_an_owner_is_readable_by_nobody"
)
GETTEXT = frozenset({"_", "gettext", "gettext_lazy", "ngettext", "pgettext", "gettext_noop"})

#: module path -> the functions whose mutants are scored (None: every function of the module).
#: Methods are written ``Class.method``.
SCOPE: dict[str, frozenset[str] | None] = {
    "makerspace/gcode.py": None,
    "core/sanitize.py": None,
    "core/jsonbody.py": None,
    "media/sniff.py": None,
    # The tus endpoint's limits: announced length, chunks against it, sizes and quotas.
    "media/uploads.py": frozenset(
        {
            "PrefixedStream.read",
            "DiskSink.write",
            "_check_size",
            "_kind_claimed_by",
            "bytes_in_use",
            "_identify",
            "receive_chunk",
        }
    ),
    "booking/rules.py": None,
    "media/selectors.py": frozenset({"can_read"}),
    # Who may see what in the archive.
    "oral_history/selectors.py": frozenset(
        {
            "is_archive_staff",
            "granted_interview_ids",
            "level_allows",
            "_level_q",
            "_visible_q",
            "record_visible",
            "part_available",
            "visible_interviews",
            "interview_for",
            "starts_redacted",
            "_overlaps",
            "access_file",
            "_passage_filter",
            "interviews_for_harvest",
        }
    ),
    "courses/h5p/package.py": None,
    # What a harvester may send and see: argument checks, signed resumption tokens, the record
    # asked for and the selection. The XML writing (headers, Dublin Core) is checked against
    # the OAI-PMH schema by the conformance tests instead.
    "oral_history/oai.py": frozenset(
        {"Provider._check", "Provider._list", "Provider._interview", "Provider._selection"}
    ),
}

#: module path -> the tests its mutants are run against (pytest node ids or files). A module's
#: mutants face its own tests: other modules' tests that happen to call it (the upload tests
#: call the sniffer, the endpoint tests the JSON reader) would only add their database set-up,
#: about 15 s, to every mutant. The union of all of them is [tool.mutmut] in pyproject.toml.
TESTS: dict[str, list[str]] = {
    "makerspace/gcode.py": [
        "makerspace/tests/test_gcode_edges.py",
        "makerspace/tests/test_gcode.py",
    ],
    "core/sanitize.py": ["core/tests/test_sanitize_pinned.py", "core/tests/test_sanitize.py"],
    "core/jsonbody.py": [
        "core/tests/test_jsonbody_limits.py",
        "core/tests/test_jsonbody.py::test_hostile_bodies_are_refused_with_a_stable_code",
        "core/tests/test_jsonbody.py::test_the_depth_limit_is_exact",
        "core/tests/test_jsonbody.py::test_brackets_inside_strings_do_not_count",
        "core/tests/test_jsonbody.py::test_the_size_limit_is_exact",
        "core/tests/test_jsonbody.py::test_a_declared_length_over_the_limit_is_refused_before_reading",
        "core/tests/test_jsonbody.py::test_a_character_that_cannot_be_stored_is_named_in_the_refusal",
        "core/tests/test_jsonbody.py::test_characters_that_only_look_dangerous_are_kept",
    ],
    "media/sniff.py": ["media/tests/test_sniff_edges.py", "media/tests/test_sniff.py"],
    "media/uploads.py": ["media/tests/test_upload_limits.py", "media/tests/test_uploads.py"],
    "booking/rules.py": ["booking/tests/test_rules_edges.py", "booking/tests/test_rules.py"],
    "media/selectors.py": ["media/tests/test_can_read.py"],
    "oral_history/selectors.py": ["oral_history/tests/test_access_rules.py"],
    "courses/h5p/package.py": ["courses/tests/test_h5p_package.py"],
    "oral_history/oai.py": ["oral_history/tests/test_oai.py"],
}

# mutmut's exit codes (mutmut.stats.status_by_exit_code), grouped for the table.
KILLED = {1, 3, 36, -24, 24, 152, 255}  # failed tests, pytest errors, timeouts
SURVIVED = {0}
NO_TESTS = {5, 33}
SKIPPED = 34
SEP = "ǁ"  # mutmut's separator in method names: xǁClassǁmethod__mutmut_3
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*[0-9.]*[a-zA-Z%]")


def _mangled(key: str) -> str:
    """``core.jsonbody.x_parse__mutmut_3`` -> ``x_parse`` (mutmut's name of the function)."""
    return key.rpartition(".")[2].partition("__mutmut_")[0]


def function_of(key: str) -> str:
    """``media.uploads.xǁDiskSinkǁwrite__mutmut_3`` -> ``DiskSink.write``."""
    mangled = _mangled(key)
    if mangled.startswith("x" + SEP):
        return mangled[2:].replace(SEP, ".")
    return mangled[2:]


def module_of(key: str) -> str:
    """``media.uploads.x_receive_chunk__mutmut_3`` -> ``media/uploads.py``."""
    return key.rpartition(".")[0].replace(".", "/") + ".py"


# -- message wording -----------------------------------------------------------------------------
def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    return {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name
    }


def _only_wording_differs(original: ast.AST, mutant: ast.AST) -> bool:
    """The two functions differ in exactly one string constant, an argument of ``_()``."""
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(mutant):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    differing = []
    for a, b in zip(ast.walk(original), ast.walk(mutant), strict=False):
        if type(a) is not type(b):
            return False
        if isinstance(a, ast.Constant):
            if a.value != b.value:
                differing.append((a, b))
        elif isinstance(a, ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # the names differ (…__mutmut_orig / …__mutmut_3)
        else:
            for name, value in ast.iter_fields(a):
                if not isinstance(value, ast.AST | list) and value != getattr(b, name):
                    return False
    if len(differing) != 1:
        return False
    before, after = differing[0]
    if not (isinstance(before.value, str) and isinstance(after.value, str)):
        return False
    if PLACEHOLDER.findall(before.value) != PLACEHOLDER.findall(after.value):
        return False  # "%(kb)d" -> "%(KB)D" breaks the formatting: a real mutant
    parent = parents.get(id(after))
    return (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id in GETTEXT
    )


def wording_mutants(module: str) -> set[str]:
    """Names (``x_f__mutmut_3``) of the mutants of ``module`` that only change a message."""
    mutated = ROOT / "mutants" / module
    functions = _functions(ast.parse(mutated.read_text()))
    found = set()
    for name, node in functions.items():
        if name.endswith("__mutmut_orig"):
            continue
        original = functions.get(name.rpartition("__mutmut_")[0] + "__mutmut_orig")
        if original is not None and _only_wording_differs(original, node):
            found.add(name)
    return found


# -- selection -----------------------------------------------------------------------------------
def meta_path(module: str) -> Path:
    return ROOT / "mutants" / (module + ".meta")


def verdicts() -> dict[str, dict[str, int | None]]:
    """Every module's mutant verdicts as mutmut last saved them, with the hash of each
    function they were reached for under ``"#hashes"`` (a verdict holds only for that code)."""
    found = {}
    for module in SCOPE:
        path = meta_path(module)
        if path.exists():
            data = json.loads(path.read_text())
            found[module] = {
                **data["exit_code_by_key"],
                "#hashes": data.get("hash_by_function_name", {}),
            }
    return found


def select(
    modules: list[str],
    *,
    keep: bool,
    earlier: dict[str, dict[str, int | None]],
    survivors_only: bool = False,
) -> None:
    """Mark what mutmut is to run (None) and what it is to leave alone (skipped).

    ``earlier`` are the verdicts from before this run: mutmut forgets them all when the test
    selection changes (as it does between runs of different modules), so the verdicts of
    modules not run now, and with ``--keep`` those of killed mutants, are put back.
    """
    for module in SCOPE:
        path = meta_path(module)
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        wording = wording_mutants(module) if module in modules else set()
        wanted = SCOPE[module]
        results = data["exit_code_by_key"]
        before = dict(earlier.get(module, {}))
        old_hashes = before.pop("#hashes", {})
        new_hashes = data.get("hash_by_function_name", {})
        for key in results:
            function = _mangled(key)
            unchanged = old_hashes.get(function) == new_hashes.get(function) is not None
            # A function edited since the verdict renumbers its mutants: the verdict is void.
            if results[key] is None and before.get(key) is not None and unchanged:
                results[key] = before[key]
        for key, exit_code in results.items():
            if module not in modules:
                if exit_code is None:  # not asked for: left as it was, and not run
                    results[key] = SKIPPED
            elif (
                function_of(key) not in (wanted or {function_of(key)})
                or key.rpartition(".")[2] in wording
            ):
                results[key] = SKIPPED
            elif survivors_only:
                if exit_code in SURVIVED or exit_code in NO_TESTS:
                    results[key] = None  # run again, against the tests added since
                elif exit_code is None:
                    results[key] = SKIPPED  # never run: left for a full run
            elif not (keep and exit_code in KILLED):
                results[key] = None
        path.write_text(json.dumps(data, indent=4))


def fresh_test_database() -> None:
    """Make the test database afresh from the migrations, before any mutant runs.

    Mutants run with ``--reuse-db`` (pyproject.toml) and without checking the migrations
    (``LIAOTU_TEST_DB_READY``): a database left by a run that was stopped half-way may hold
    rows, or lack those the migrations create, and every verdict would depend on that. It is
    made with ``--reuse-db`` too, so that it is kept when that first test session ends.
    """
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = "test_" + url.path.lstrip("/")
    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--create-db",
            "--reuse-db",
            "-q",
            "-p",
            "no:cacheprovider",
            CREATES_DB,
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def run_mutmut(
    modules: list[str], *, keep: bool, max_children: int, survivors_only: bool = False
) -> None:
    fresh_test_database()
    # The database is fresh: every mutant's tests use it as it is (conftest.py's
    # django_db_setup), rather than checking the migrations again each time.
    os.environ["LIAOTU_TEST_DB_READY"] = "1"
    earlier = verdicts()
    import mutmut.__main__ as mutmut_main
    from mutmut.configuration import config

    config().pytest_add_cli_args_test_selection = [test for m in modules for test in TESTS[m]]

    # mutmut has written the mutants and settled its cache (which a change of configuration
    # resets) when it reads the verdicts to decide what to run: mark the selection just before.
    collect = mutmut_main.collect_source_file_mutation_data

    def select_then_collect(*, mutant_names):
        select(modules, keep=keep, earlier=earlier, survivors_only=survivors_only)
        return collect(mutant_names=mutant_names)

    mutmut_main.collect_source_file_mutation_data = select_then_collect
    try:
        mutmut_main.cli(["run", "--max-children", str(max_children)], standalone_mode=False)
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise


# -- report --------------------------------------------------------------------------------------
def documented() -> tuple[dict[str, str], dict[str, str]]:
    """Two tables of scripts/mutation-survivors.md, mutant id -> reason: the equivalent
    mutants (left out of the score), then, under the heading "Harmless survivors", those that
    change the program in a way that does not matter (counted as survivors all the same)."""
    equivalent: dict[str, str] = {}
    harmless: dict[str, str] = {}
    if not SURVIVORS_FILE.exists():
        return equivalent, harmless
    table = equivalent
    for line in SURVIVORS_FILE.read_text().splitlines():
        if line.startswith("#") and "harmless" in line.lower():
            table = harmless
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and "__mutmut_" in cells[0]:
            table[cells[0]] = cells[2]
    return equivalent, harmless


def report(modules: list[str]) -> float:
    equivalents, harmless = documented()
    rows = []
    survivors: list[tuple[str, str]] = []
    stale: list[str] = []
    totals = Counter()
    for module in modules:
        path = meta_path(module)
        if not path.exists():
            continue
        results = json.loads(path.read_text())["exit_code_by_key"]
        wanted = SCOPE[module]
        wording = wording_mutants(module)
        count = Counter()
        for key, exit_code in results.items():
            if wanted is not None and function_of(key) not in wanted:
                continue
            if key.rpartition(".")[2] in wording:
                count["wording"] += 1
                continue
            count["total"] += 1
            if exit_code in KILLED:
                count["killed"] += 1
                if key in equivalents or key in harmless:
                    stale.append(key)  # killed now: the entry names another change
            elif key in equivalents and exit_code in SURVIVED:
                count["equivalent"] += 1
            else:
                status = (
                    "survived"
                    if exit_code in SURVIVED
                    else "no tests"
                    if exit_code in NO_TESTS
                    else "not run"
                    if exit_code in (None, SKIPPED)
                    else f"exit {exit_code}"
                )
                if exit_code in SURVIVED and key in harmless:
                    status = "harmless: " + harmless[key]
                count["survived" if exit_code in SURVIVED else "other"] += 1
                survivors.append((key, status))
        documented_here = {key for key in (*equivalents, *harmless) if module_of(key) == module}
        stale += sorted(documented_here - set(results))  # no such mutant any more
        totals.update(count)
        rows.append((module, count))
    rows.append(("total", totals))

    def score(count: Counter) -> float:
        scored = count["total"] - count["equivalent"]
        return 100.0 * count["killed"] / scored if scored else 100.0

    header = ("module", "mutants", "killed", "survived", "other", "equiv.", "wording", "score")
    width = max(len(name) for name, _ in rows)
    line = f"{{:<{width}}}  {{:>7}}  {{:>6}}  {{:>8}}  {{:>5}}  {{:>6}}  {{:>7}}  {{:>7}}"
    print()
    print("Mutation score (killed / (mutants - documented equivalents))")
    print(line.format(*header))
    print(line.format(*("-" * len(h) if i else "-" * width for i, h in enumerate(header))))
    for name, count in rows:
        print(
            line.format(
                name,
                count["total"],
                count["killed"],
                count["survived"],
                count["other"],
                count["equivalent"],
                count["wording"],
                f"{score(count):.1f}%",
            )
        )
    print()
    print("mutants: in scope and run; other: no covering test, not run, or an unusual exit;")
    print("equiv.: documented in scripts/mutation-survivors.md; wording: only a message text")
    print("changes (not run, not scored). Harmless survivors count as survivors.")
    print()
    if survivors:
        print(f"Surviving mutants ({len(survivors)}); see one with: .venv/bin/mutmut show <id>")
        for key, status in survivors:
            print(f"  {key}  [{status}]")
    else:
        print("No surviving mutants outside the documented equivalents.")
    if stale:
        print()
        print("Listed in scripts/mutation-survivors.md but killed or gone (renumbered?):")
        for key in stale:
            print(f"  {key}")
    return score(totals)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/mutation", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths, e.g. makerspace/gcode.py")
    parser.add_argument(
        "--keep", action="store_true", help="keep earlier verdicts of killed mutants"
    )
    parser.add_argument(
        "--survivors", action="store_true", help="run only the mutants that survived last time"
    )
    parser.add_argument("--report-only", action="store_true", help="print the last results")
    parser.add_argument("--max-children", type=int, default=1)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    modules = [re.sub(r"^\./", "", m) for m in args.modules] or list(SCOPE)
    unknown = [m for m in modules if m not in SCOPE]
    if unknown:
        parser.error(f"not configured for mutation testing: {', '.join(unknown)}")
    if not args.report_only:
        run_mutmut(
            modules,
            keep=args.keep,
            max_children=args.max_children,
            survivors_only=args.survivors,
        )
    total = report(modules)
    if total < THRESHOLD:
        print(f"\nFAILED: the total mutation score {total:.1f}% is below {THRESHOLD:.0f}%.")
        return 1
    print(f"\nThe total mutation score {total:.1f}% meets the {THRESHOLD:.0f}% threshold.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
