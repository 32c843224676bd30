"""Static checks on the committed notebooks: the book's page contract.

nbval (run on notebooks/ by the same pytest call) re-executes each notebook and compares outputs;
these checks cover what nbval does not: anatomy, figure captions and alt text, no network, table of contents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from iranrussia import figuredata
from iranrussia.paths import NOTEBOOKS_DIR, REPO_ROOT

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
CHAPTERS = [p for p in NOTEBOOKS if p.stem != "data-dictionary"]
NETWORK = re.compile(r"https?://|urlopen|requests\.|!pip|%pip|comtradeapicall")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def toc_files() -> set[str]:
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = {toc["root"]}

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.add(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    return found


def test_every_notebook_is_in_the_table_of_contents():
    listed = toc_files()
    missing = [p.name for p in NOTEBOOKS if f"notebooks/{p.stem}" not in listed]
    assert not missing, f"notebooks missing from _toc.yml: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_run_top_to_bottom_in_one_fresh_kernel(path):
    counts = [c.get("execution_count") for c in cells(path) if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), "re-run it with: python3 tasks.py execute " + str(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_error_output_and_no_network_access(path):
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code":
            continue
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), f"cell {index}"
        assert not NETWORK.search("".join(cell["source"])), f"cell {index} reaches for the network"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_caption_name_and_alt_text(path):
    figures = 0
    for index, cell in enumerate(cells(path)):
        outputs = cell.get("outputs", [])
        if not any("image/png" in o.get("data", {}) for o in outputs):
            continue
        figures += 1
        meta = cell.get("metadata", {}).get("mystnb", {})
        assert meta.get("figure", {}).get("caption", "").strip(), f"cell {index}: no mystnb.figure.caption"
        assert meta.get("figure", {}).get("name", "").strip(), f"cell {index}: no mystnb.figure.name"
        assert len(meta.get("image", {}).get("alt", "").strip()) >= 40, f"cell {index}: no real mystnb.image.alt"
        assert sum("image/png" in o.get("data", {}) for o in outputs) == 1, f"cell {index}: one figure per cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_ships_the_values_it_plots(path):
    """Beside its PNG, each chart's output holds the CSV of its plotted values (charts.show(..., data=...)), with
    the chart's anatomy in its header; the build ships it as data/figures/<figure name>.csv."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = figuredata.figure_data(notebook)
    for index, cell in enumerate(notebook["cells"]):
        if not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            continue
        name = cell["metadata"]["mystnb"]["figure"]["name"]
        assert name in found, f"cell {index} ({name}): no data shipped with the chart; pass data= to charts.show"
        header, columns, rows = figuredata.read_csv_text(found[name])
        assert set(header) == {"Chart", "Units", "Source", "Tables"} and all(header.values()), f"{name}: {header}"
        assert columns and rows and all(len(row) == len(columns) for row in rows), name
        assert any(cell for row in rows for cell in row), f"{name}: every cell of the data is empty"


# Numbers in alt text that are not one of the chart's plotted values, each with why (figure name -> {number: why}).
ALT_TEXT_NUMBERS_NOT_PLOTTED = {
    "fig-tiv-both-directions": {"07": "a period, 2006–07"},
    "fig-iran-suppliers": {"84": "a period, 1980–84", "24": "a period, 2020–24"},
    "fig-iran-rank-russian-exports": {"89": "a period", "94": "a period", "99": "a period", "24": "a period"},
    "fig-drones-monthly": {
        "6,600": "a month's total, the sum of its three stacked segments",
        "8,152": "the peak month's total, the sum of its three stacked segments",
        "50": "a rounded reading ('roughly 50 to 65 per cent')",
    },
    "fig-drone-components": {"40": "a count of components examined (40 of 52), not a plotted share"},
    "fig-russians-on-iran-2025-2026": {"47": "a figure in a panel's title, not a mark"},
    "fig-statements-timeline": {"300": "part of a name, the S-300"},
    "fig-trade-by-direction": {"200": "a rounded reading ('about 200')"},
    "fig-policy-options-matrix": {"16": "an option's number", "13": "an option's number"},
    "fig-policy-option-ranks": {"16": "an option's number"},
}
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\w)")


def _numbers(text: str) -> list[str]:
    return _NUMBER.findall(text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_alt_text_numbers_are_the_charts_plotted_values(path):
    """Alt text describes the chart in words and numbers; a number in it (a year aside) must be within 5% of a
    value the chart plots (its shipped data), so that alt text written for an older version of the data fails
    here rather than misleading a reader who cannot see the chart."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    shipped = figuredata.figure_data(notebook)
    problems = []
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("mystnb", {})
        name = meta.get("figure", {}).get("name")
        if name not in shipped:
            continue
        _, _, rows = figuredata.read_csv_text(shipped[name])
        values = {float(n.replace(",", "")) for row in rows for value in row for n in _numbers(value)}
        allowed = ALT_TEXT_NUMBERS_NOT_PLOTTED.get(name, {})
        for number in _numbers(meta["image"]["alt"]):
            value = float(number.replace(",", ""))
            if (1900 <= value <= 2100 and "," not in number) or number in allowed:
                continue
            if not any(abs(value - v) <= max(0.05 * abs(value), 0.5) for v in values):
                problems.append(f"{name}: alt text says {number}, which no plotted value is near")
    assert not problems, "\n".join(problems)


def test_alt_text_numbers_not_plotted_are_still_in_the_alt_text():
    alts = {}
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("mystnb", {})
            if "name" in meta.get("figure", {}):
                alts[meta["figure"]["name"]] = _numbers(meta["image"]["alt"])
    stale = [
        (name, n) for name, numbers in ALT_TEXT_NUMBERS_NOT_PLOTTED.items() for n in numbers if n not in alts[name]
    ]
    assert not stale, f"allowed alt-text numbers no longer in the alt text: {stale}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_question_findings_caveats_and_sources(path):
    markdown = [("".join(c["source"])) for c in cells(path) if c["cell_type"] == "markdown"]
    headings = [line.strip("# ").lower() for text in markdown for line in text.splitlines() if line.startswith("#")]
    assert markdown[0].startswith("# "), "a chapter opens with its title"
    for required in ("the question", "key findings", "caveats", "sources"):
        assert any(h.startswith(required) for h in headings), f"no '{required}' section"
    findings = next(i for i, t in enumerate(markdown) if "## key findings" in t.lower())
    assert "{glue:text}" in markdown[findings], "key findings quote numbers computed from the data (glue)"


def question_chapters() -> list[Path]:
    """The chapters listed under the 'The questions' part of _toc.yml: each answers one of the book's questions."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p["caption"] == "The questions")
    return [REPO_ROOT / f"{c['file']}.ipynb" for c in part["chapters"]]


VERDICTS = re.compile(r"\b(supported|partly supported|not supported|cannot tell)\b", re.IGNORECASE)


@pytest.mark.parametrize("path", question_chapters(), ids=lambda p: p.name)
def test_question_chapter_has_four_figures_and_checks_the_seed_claims(path):
    chapter = cells(path)
    figures = sum(any("image/png" in o.get("data", {}) for o in c.get("outputs", [])) for c in chapter)
    assert figures >= 4, f"{figures} figures; a question chapter draws at least four"
    # The claims section may hold its verdicts in prose or in a rendered table, so search both.
    text = "\n".join("".join(c["source"]) for c in chapter if c["cell_type"] == "markdown")
    text += "\n".join(
        "".join(o.get("data", {}).get("text/html", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
        for c in chapter
        for o in c.get("outputs", [])
    )
    assert "## checking the seed articles' claims" in text.lower(), "no section checking the seed articles' claims"
    assert len(VERDICTS.findall(text)) >= 2, "the claims section gives no verdicts"


# ----------------------------------------------------------------- one metadata form (maintenance.normalise) ----


def test_normalise_keeps_what_the_book_uses_and_drops_authoring_leftovers():
    import nbformat

    from iranrussia.maintenance import KERNELSPEC, normalise

    notebook = nbformat.v4.new_notebook()
    notebook.metadata.update({"jupytext": {"formats": "ipynb,md"}, "language_info": {"name": "python"}})
    cell = nbformat.v4.new_code_cell(
        "1 + 1",
        metadata={
            "tags": ["remove-input"],
            "mystnb": {"figure": {"caption": "c"}},
            "lines_to_next_cell": 2,
            "execution": {"iopub.status.busy": "2026-12-01T10:00:00Z"},
            "collapsed": True,
        },
    )
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    notebook.cells = [cell]
    assert normalise(notebook) is True
    assert dict(notebook.metadata) == {"language_info": {"name": "python"}, "kernelspec": KERNELSPEC}
    assert dict(notebook.cells[0].metadata) == {"tags": ["remove-input"], "mystnb": {"figure": {"caption": "c"}}}
    assert notebook.cells[0].outputs[0]["data"] == {"text/plain": "2"}  # outputs are nbval's: untouched
    assert normalise(notebook) is False


def test_committed_notebooks_have_the_one_metadata_form():
    from iranrussia.maintenance import normalise_notebooks

    assert normalise_notebooks(NOTEBOOKS, check=True) == [], "run: python3 tasks.py lint --fix"


# ------------------------------------------------------------ no dead glue: every glued value is quoted ----

#: A glued value pasted by a role: ``{glue}``, ``{glue:}``, ``{glue:any}``, ``{glue:text}`` (with an optional
#: ``:format`` after the key) or ``{glue:md}``, the key optionally prefixed by another notebook (``nb.ipynb::key``);
#: not a role's name in inline code (`` `{glue:text}` ``).
GLUE_ROLE = re.compile(r"(?<!`)\{glue(?P<kind>:(?:any|text|md)?)?\}`(?P<ref>[^`]+)`")
#: ... or by a directive (```` ```{glue} key ````, ``:::{glue:figure} key``, ``{glue:md}``, ``{glue:math}``), which
#: names another notebook in its ``:doc:`` option.
GLUE_DIRECTIVE = re.compile(
    r"^[ \t]*(?:`{3,}|:{3,})[ \t]*\{glue(?::(?:any|figure|math|md)?)?\}[ \t]+(?P<key>\S+)[ \t]*\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)",
    re.MULTILINE,
)


def quoted_names(text: str, page: Path) -> list[tuple[Path, str]]:
    """Each glued value ``text`` (on ``page``) quotes: (the notebook that must glue it, its key)."""

    def notebook(ref: str | None) -> Path:
        if not ref:
            return page
        return (REPO_ROOT / ref.lstrip("/")) if ref.startswith("/") else (page.parent / ref)

    found = []
    for match in GLUE_ROLE.finditer(text):
        ref = match["ref"]
        if match["kind"] == ":text" and ":" in ref.replace("::", ""):
            ref = ref.rsplit(":", 1)[0]  # the format spec
        doc, _, key = ref.rpartition("::")
        found.append((notebook(doc), key))
    for match in GLUE_DIRECTIVE.finditer(text + "\n"):
        doc = re.search(r"^[ \t]*:doc:[ \t]*(\S+)", match["options"], re.MULTILINE)
        found.append((notebook(doc and doc.group(1)), match["key"]))
    return [(path.resolve(), key) for path, key in found]


def test_quoted_names_reads_every_form_of_paste():
    page = REPO_ROOT / "notebooks" / "a.ipynb"
    text = (
        "{glue:text}`n:,.0f` and {glue}`m` {glue:}`o` {glue:md}`p`; from intro: "
        "{glue:text}`notebooks/b.ipynb::q:s`, {glue:any}`b.ipynb::r`, {glue:text}`/notebooks/b.ipynb::s`\n"
        "```{glue:figure} fig_t\n:doc: b.ipynb\n:name: x\n\nA caption.\n```\n\n"
        ":::{glue:md} u\n:::\n```{glue} v\n```\n`{glue:text}` is a role; `code`"
    )
    a, b = page.resolve(), (REPO_ROOT / "notebooks" / "b.ipynb").resolve()
    from_intro = (REPO_ROOT / "notebooks" / "notebooks" / "b.ipynb").resolve()  # relative to the page's folder
    assert quoted_names(text, page) == [
        (a, "n"), (a, "m"), (a, "o"), (a, "p"), (from_intro, "q"), (b, "r"), (b, "s"), (b, "fig_t"), (a, "u"), (a, "v"),
    ]  # fmt: skip


def book_pages() -> list[Path]:
    """Every page the book builds: the notebooks and the Markdown files of the table of contents (not README.md,
    which the build leaves out and which quotes an example ``key``)."""
    markdown = [REPO_ROOT / f"{f}.md" for f in sorted(toc_files()) if (REPO_ROOT / f"{f}.md").exists()]
    return NOTEBOOKS + markdown


def page_texts(path: Path) -> list[str]:
    """What the page shows as MyST: its Markdown cells and the Markdown its code cells display (a notebook),
    or the file (a Markdown page)."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    texts = []
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            texts.append("".join(cell["source"]))
        texts += [
            "".join(o["data"]["text/markdown"]) for o in cell.get("outputs", []) if "text/markdown" in o.get("data", {})
        ]
    return texts


def glued_names(path: Path) -> list[str]:
    """The keys the committed notebook glues (its outputs' ``metadata.scrapbook.name``)."""
    return [
        o["metadata"]["scrapbook"]["name"]
        for cell in cells(path)
        for o in cell.get("outputs", [])
        if "scrapbook" in o.get("metadata", {})
    ]


def all_quotes() -> list[tuple[Path, Path, str]]:
    """(quoting page, notebook that must glue the value, key) for every paste on every page."""
    return [
        (page, nb, key) for page in book_pages() for text in page_texts(page) for nb, key in quoted_names(text, page)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_glued_value_is_quoted_by_some_page(path):
    quoted = {key for _, nb, key in all_quotes() if nb == path.resolve()}
    dead = [key for key in glued_names(path) if key not in quoted]
    assert not dead, (
        f"{path.name} glues {len(dead)} value(s) that no page quotes (remove the glue, and any code only it "
        f"needs): {', '.join(dead)}"
    )


def test_every_quoted_value_is_glued_by_the_notebook_it_names():
    glued = {path.resolve(): set(glued_names(path)) for path in NOTEBOOKS}
    missing = [
        f"{page.relative_to(REPO_ROOT)} quotes {key!r} from {nb.relative_to(REPO_ROOT)}"
        + ("" if nb in glued else " (no such notebook)")
        for page, nb, key in all_quotes()
        if key not in glued.get(nb, set())
    ]
    assert not missing, "quoted but not glued by the notebook named:\n" + "\n".join(missing)
