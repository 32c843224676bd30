"""Checks that a fork trips over at once, not after minutes of re-execution or a failed strict render: reading
the committed notebooks (nbformat, no kernel) and ``intro.md``.

* Labels are unique across the book. A copied chapter keeps its figures' names, and Sphinx labels (figure
  names, MyST targets ``(label)=``, directive ``:name:`` options) share one namespace for the whole book: a
  repeat is a "duplicate label" warning, which fails the strict render. Glued values are looked up in their own
  notebook (another page quotes them as ``notebook.ipynb::name``), so a glue name may recur in another chapter
  but not twice within one: the later cell would silently replace the earlier value.
* Every number quoted in the prose is glued (README): digits in Markdown prose must be years, dates, Iranian
  years, designations (Shahed-136, E115), numbered list items, chapter/section/milestone numbers, or sit in
  code, links or roles; the few others are listed in :data:`PROSE_NUMBERS_ALLOWED`, each with its reason.
* When nbval finds a notebook's committed outputs stale, the failure names the notebook and the command that
  re-executes it (tests/conftest.py); a failed strict render ends with its Sphinx warnings, not a traceback.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from iranrussia.paths import NOTEBOOKS_DIR, REPO_ROOT

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
MARKDOWN_PAGES = [REPO_ROOT / "intro.md", REPO_ROOT / "references.md"]
GLUE_FUNCTIONS = {"glue", "glue_as", "glue_text"}


@functools.cache
def read_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _where(path: Path, cell: int | None) -> str:
    shown = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
    return shown if cell is None else f"{shown} cell {cell}"


def glued_names(source: str) -> set[str]:
    """The names a code cell glues: ``glue("name", ...)``, ``glue_as(style, name=...)``, ``glue_text(name=...)``
    (also through ``chapter.`` and with a literal ``**{"name": ...}``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: such a cell glues nothing the book relies on
        return set()
    names = set()
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        function = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
        if function not in GLUE_FUNCTIONS:
            continue
        if function == "glue" and call.args and isinstance(call.args[0], ast.Constant):
            names.add(call.args[0].value)
        for keyword in call.keywords:
            if keyword.arg is not None and function != "glue":
                names.add(keyword.arg)
            elif keyword.arg is None and isinstance(keyword.value, ast.Dict):
                names.update(k.value for k in keyword.value.keys if isinstance(k, ast.Constant))
    return names


TARGET = re.compile(r"(?m)^\(([^()\s]+)\)=[ \t]*$")
NAME_OPTION = re.compile(r"(?m)^[ \t]*:name:[ \t]*(\S+)[ \t]*$")


def labels_in_markdown(text: str) -> list[str]:
    """MyST targets ``(label)=`` and the ``:name:`` options of directives (figures, tables, glue:figure)."""
    return TARGET.findall(text) + NAME_OPTION.findall(text)


def book_names(notebooks=NOTEBOOKS, markdown_pages=MARKDOWN_PAGES):
    """(labels, glue names): each name with the places that define it, as (where, kind) pairs. Labels are
    compared as Sphinx compares them, lower-cased."""
    labels: dict[str, list[str]] = defaultdict(list)
    glue: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in notebooks:
        for index, cell in enumerate(read_notebook(path).cells):
            where = _where(path, index)
            if cell.cell_type == "markdown":
                for label in labels_in_markdown(cell.source):
                    labels[label.lower()].append(f"{where} (target or :name:)")
                continue
            if cell.cell_type != "code":
                continue
            figure_name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
            if figure_name:
                labels[str(figure_name).lower()].append(f"{where} (mystnb.figure.name)")
            # What the cell's source glues and what its committed outputs record having glued (they differ in
            # a notebook edited but not yet re-executed).
            names = glued_names(cell.source)
            names |= {
                o.metadata["scrapbook"]["name"] for o in cell.get("outputs", []) if "scrapbook" in o.get("metadata", {})
            }
            for name in names:
                glue[(path.name, name)].append(where)
    for path in markdown_pages:
        if path.is_file():
            for label in labels_in_markdown(path.read_text(encoding="utf-8")):
                labels[label.lower()].append(f"{_where(path, None)} (target or :name:)")
    return labels, glue


def repeats(names: dict) -> list[str]:
    return [
        f"{name if isinstance(name, str) else name[1]!r}: {' and '.join(places)}"
        for name, places in names.items()
        if len(places) > 1
    ]


def test_book_names_are_read():
    """The reader finds what the book defines (else the uniqueness test below could pass on nothing)."""
    labels, glue = book_names()
    assert "fig-tiv-both-directions" in labels  # arms-flows' first chart
    assert ("claims-ledger.ipynb", "n_claims") in glue  # quoted by intro.md as claims-ledger.ipynb::n_claims
    assert len(glue) > 300 and sum("mystnb.figure.name" in p[0] for p in labels.values()) >= 30


def test_repeats_are_reported_with_both_places(tmp_path):
    """A chapter copied to a new notebook repeats every figure name (both places named); a glue name set in two
    cells of one notebook is caught, the same name in another notebook is not."""
    source = NOTEBOOKS_DIR / "relationship-at-a-glance.ipynb"
    copy = tmp_path / "copy.ipynb"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    labels, _ = book_names([source, copy], markdown_pages=[])
    found = repeats(labels)
    assert found and all("relationship-at-a-glance.ipynb cell" in r and "copy.ipynb cell" in r for r in found)

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('chapter.glue_as("count", n_events=3)'),
        nbformat.v4.new_markdown_cell("(my-label)=\n# Title"),
        nbformat.v4.new_code_cell('glue_text(n_events="3", other="x")'),
        nbformat.v4.new_markdown_cell("```{figure} a.png\n:name: MY-LABEL\n```"),
    ]
    twice = tmp_path / "twice.ipynb"
    nbformat.write(notebook, twice)
    labels, glue = book_names([twice, copy], markdown_pages=[])
    assert repeats(glue) == [f"'n_events': {_where(twice, 0)} and {_where(twice, 2)}"]
    assert any("my-label" in r and "cell 1" in r and "cell 3" in r for r in repeats(labels))


def test_labels_and_glue_names_are_unique_across_the_book():
    labels, glue = book_names()
    problems = [f"label {r}" for r in repeats(labels)] + [
        f"glue name {r} (the later value wins)" for r in repeats(glue)
    ]
    assert not problems, "rename one of each (labels are book-wide; glue names per notebook):\n" + "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------------
# Numbers in the prose

#: Numbers the prose may state without glue: (page, the words around the number as the page has them, why).
#: "to be glued" marks a quoted figure of the book's data still written by hand; the rest are not data.
PROSE_NUMBERS_ALLOWED = (
    ("notebooks/arms-flows.ipynb", "a drone at 0.04 million TIV is not a US$40,000 drone", "a units example"),
    ("notebooks/iranian-skepticism.ipynb", "(63.8% favourable)", "untraced, so kept out of the data"),
    ("notebooks/iranian-skepticism.ipynb", "sum to well over 100", "100 per cent, the whole of a poll's answers"),
    ("notebooks/trade-trajectory.ipynb", 'often rounded ("about 4 billion")', "an example of rounding, not data"),
    ("notebooks/western-policy.ipynb", "started the 30-day", "the fixed term of Resolution 2231's snapback procedure"),
    ("notebooks/western-policy.ipynb", "a score from 0 to 3", "the scale the book scores on (policy_option_scores)"),
    ("notebooks/western-policy.ipynb", "criterion 0, 1, 2 or 3", "the grid of weights the sensitivity view runs over"),
    ("notebooks/western-policy.ipynb", "a weight from 0 (left out) to 3", "the sliders' range, the same grid"),
)

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b"
)
_DAY = r"\b\d{1,2}(?:st|nd|rd|th)?"
#: What is cut from the prose before numbers are looked for: markup whose digits are not quoted numbers.
NOT_PROSE = (
    r"(?s)```.*?```|~~~.*?~~~",  # fenced blocks: code, directives (their options and bodies)
    r"(?s)<!--.*?-->",  # comments
    r"(?s)\$\$.*?\$\$",  # display maths
    r"\{[\w:.-]+\}`[^`]*`",  # roles: {glue:text}`x`, {cite:p}`key2024`, {ref}`label`, {doc}`page`
    r"``[^`]*``|`[^`]*`",  # code spans
    r"\]\([^)]*\)|\]\[[^\]]*\]|<https?://[^>]*>|https?://\S+",  # link targets and bare URLs
    r"(?m)^\([^)]*\)=[ \t]*$",  # MyST targets
    r"(?m)^[ \t]*:[\w-]+:.*$",  # directive options
    r"<[^>]+>",  # HTML tags (their attributes)
    r"\\.",  # escapes
)
#: Digits that are not quoted numbers, in what remains.
NOT_QUOTED = (
    rf"{_DAY}(?:(?:\s*[–-]\s*|\s+or\s+|\s+and\s+){_DAY})?\s+{_MONTH}",  # 5 March, 20 or 21 March, 1–7 June
    rf"\b{_MONTH}\s+\d{{1,2}}\b(?!,\d)",  # March 5
    r"\b(?:19|20)\d\d(?:\s*[–/-]\s*(?:(?:19|20)\d\d|\d\d))?s?\b",  # 2024, 2022–23, 1990s, 2024/25
    r"\b1[34]\d\d(?:\s*[–/-]\s*(?:1[34]\d\d|\d\d))?\b",  # Iranian (Solar Hijri) years: 1399, 1402
    r"\b[A-Za-z][A-Za-z]*[-‑]?\d[\w.]*",  # designations and ids: Shahed-136, S-300PMU2, Su-35S, E115, D05, v4.0
    r"(?mi)^[ \t]*(?:[-*+][ \t]+)?\d+[.)][ \t]",  # numbered list items
    r"(?i)\b(?:chapters?|sections?|parts?|steps?|milestones?|options?|deals?|resolutions?|orders?|rows?|"
    r"questions?|figures?|tables?)\s+\d+(?:\s*[–.,-]\s*\d+)*\b",  # chapter 2, section 4.1, milestones 30–31
)
NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")


def allowed_words(words: str) -> re.Pattern:
    """``words`` as they may stand in the Markdown source, broken across lines anywhere between two words."""
    return re.compile(r"\s+".join(re.escape(word) for word in words.split()))


def prose_of(text: str) -> str:
    """``text`` less the markup whose digits are not prose, each cut replaced by a space."""
    for pattern in NOT_PROSE:
        text = re.sub(pattern, " ", text)
    return text


def unglued_numbers(page: str, text: str, allowed=PROSE_NUMBERS_ALLOWED) -> list[str]:
    """Each number in the Markdown ``text`` of ``page`` that is not glued, not a date, year or designation and
    not allowed, with the words around it."""
    text = prose_of(text)
    for _, words, _ in (entry for entry in allowed if entry[0] == page):
        text = allowed_words(words).sub(" ", text)
    for pattern in NOT_QUOTED:
        text = re.sub(pattern, " ", text)
    found = []
    for match in NUMBER.finditer(text):
        context = " ".join(text[max(0, match.start() - 40) : match.end() + 30].split())
        found.append(f"{match.group()!r} in “…{context}…”")
    return found


def prose_pages():
    """(page, where, Markdown text) for every Markdown cell of the chapters and for intro.md."""
    for path in NOTEBOOKS:
        for index, cell in enumerate(read_notebook(path).cells):
            if cell.cell_type == "markdown":
                yield _where(path, None), _where(path, index), cell.source
    intro = REPO_ROOT / "intro.md"
    yield _where(intro, None), _where(intro, None), intro.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("prose", "caught"),
    [
        ("Trade reached US$4.9 billion in 2024.", ["4.9"]),
        ("Some 1,200 drones were delivered.", ["1,200"]),
        ("The share fell to 37% by 5 March 2026.", ["37"]),
        ("It ran from 20 or 21 March to 19 or 20 March, Iranian year 1402 (2023/24).", []),
        ("SIPRI counts {glue:text}`n_shahed` Shahed-136 (see {ref}`fig-tiv`, {cite:p}`sipri2025`, E115).", []),
        ("See [table 7](https://example.org/t/2024/57) and `trade_bilateral[period_label=2022-H1]`.", []),
        ("1. **Trade.** As milestones 30–31 and section 4.1 say, in the 1990s and 2022–23.", []),
        ("In 2025 about 3 in 4 launches were downed.", ["3", "4"]),
    ],
)
def test_the_rule_catches_prose_numbers_only(prose, caught):
    assert [found.split("'")[1] for found in unglued_numbers("page", prose, allowed=())] == caught


def test_every_allowance_is_used_and_explained():
    """Each allowed number is still on its page (else it is stale and would hide a new one), with a reason."""
    texts = defaultdict(str)
    for page, _, text in prose_pages():
        texts[page] += prose_of(text) + "\n"
    for page, words, reason in PROSE_NUMBERS_ALLOWED:
        assert reason.strip(), words
        assert allowed_words(words).search(texts[page]), (
            f"{page}: the allowed words {words!r} are no longer on the page"
        )


def test_numbers_in_the_prose_are_glued():
    """README: every number the prose quotes is glued (``{glue:text}`name```), so it follows the data."""
    problems = [f"{where}: {found}" for page, where, text in prose_pages() for found in unglued_numbers(page, text)]
    assert not problems, (
        "glue these numbers (chapter.glue_as) and quote them with {glue:text}, or, if one is not a figure of the "
        "data, add it to PROSE_NUMBERS_ALLOWED in tests/test_fork.py with its reason:\n" + "\n".join(problems)
    )


def test_a_notebook_that_fails_nbval_says_how_to_re_execute_it(tmp_path):
    """nbval's failure for a notebook whose committed output is stale names the notebook and the command."""
    import shutil
    import subprocess
    import sys

    shutil.copy(REPO_ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    cell = nbformat.v4.new_code_cell("1 + 1")
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "3"}, execution_count=1)]
    notebook.cells = [cell]
    nbformat.write(notebook, tmp_path / "notebooks" / "stale.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    hint = "notebooks/stale.ipynb no longer gives its committed outputs: re-execute it: python3 tasks.py build"
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.count(hint) == 2, run.stdout  # with the failure, and in the summary at the end
    assert "(or python3 tasks.py build --force)" in run.stdout


def test_a_failed_strict_build_ends_with_its_warnings_not_a_traceback(capfd):
    """Sphinx's warnings (its stderr, coloured) are shown as they come and repeated, plain, at the end, after the
    sixty-odd progress lines that buried them; then what to do."""
    import sys

    from iranrussia.maintenance import _run_keeping_stderr, build_failure

    script = (
        "import sys; print('reading sources... [ 50%] intro'); "
        "sys.stderr.write('\\x1b[91m/book/intro.md:109: WARNING: undefined label: \\'nowhere\\'\\x1b[39;49;00m\\n'); "
        "print('build finished with problems, 1 warning.'); sys.exit(1)"
    )
    returncode, warnings = _run_keeping_stderr([sys.executable, "-c", script])
    assert returncode == 1
    assert warnings == ["/book/intro.md:109: WARNING: undefined label: 'nowhere'"]
    assert "WARNING: undefined label" in capfd.readouterr().err  # shown live too
    message = build_failure(warnings)
    assert message.splitlines() == [
        "[build] the strict build failed: 1 warning (warnings are errors here):",
        "  /book/intro.md:109: WARNING: undefined label: 'nowhere'",
        "[build] fix them and build again; the HTML is incomplete",
    ]
    assert "Traceback" not in message
    # A notebook's place, which MyST-NB writes as 10,000 x the cell's place + the line, is given as cell and line
    # (the 9th cell is index 8: MyST-NB's nb_to_tokens counts from 1).
    places = (("90002", "9th cell, line 2"), ("220014", "22nd cell, line 14"), ("110001", "11th cell, line 1"))
    for place, where in places:
        warning = f"/book/notebooks/a.ipynb:{place}: WARNING: duplicate label fig-a, other instance in b.ipynb"
        assert f"  {warning} ({where})" in build_failure([warning]).splitlines()
