"""A script payload in a data cell, pushed through a notebook into a built page, stays text in the browser.

The loader refuses such a cell (tests/test_loader_hostile.py); this test checks the second layer on its own.
It builds a one-chapter book with the book's own configuration, whose notebook reads a hostile CSV directly
(as if the cell had slipped past the loader) and shows it through every helper the chapters use to turn data
into a page: pipe tables, HTML tables, credit lines, event lists, claims and framing sections, the data
dictionary and glued text. Chromium then loads the page: no element, attribute, script or link of the
payload's own may be in the DOM, no script of it may have run, and the payload must be visible as text.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from playwright.sync_api import sync_playwright
from test_browser import CHROMIUM, CHROMIUM_ARGS, QuietHandler

from iranrussia.paths import REPO_ROOT

PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    "[click](javascript:window.__pwned='link')",
    "{raw}`html <b id=pwned-role onmouseover=\"window.__pwned='role'\">role</b>`",
    "&lt;iframe src=javascript:window.__pwned='entity'&gt;",
    "```{raw} html\n<div id=pwned-fence></div>\n```",
    ":::{raw} html\n<div id=pwned-colon></div>\n:::",
    "(pwned-target)=",
    "{{ pwned }}",
]
HOSTILE = " ".join(PAYLOADS)

NOTEBOOK_CELLS = [
    ("markdown", "# Hostile data\n\nA glued value: {glue:text}`hostile_text`."),
    (
        "code",
        """\
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from iranrussia import page
from iranrussia.claims import chapter_section, framing_markdown
from iranrussia.data import read_manifest
from iranrussia.datadict import table_markdown

# Read without the loader, which would refuse these cells: this page tests what happens after a slip.
hostile = pd.read_csv("hostile.csv", dtype=str, keep_default_na=False)
text = hostile.loc[0, "note"]
glue("hostile_text", text, display=False)""",
    ),
    ("code", "display(Markdown(page.markdown_table(hostile)))"),
    ("code", "display(page.html_table(hostile, 'hostile-styled'))"),
    ("code", "hostile"),
    ("code", "page.table_credit(['events'], text)"),
    (
        "code",
        """\
lines = [page.Markup("- **{}** ({}): {} {}").format(row.date, row.event_id, row.note, page.cite(row.source))
         for row in hostile.itertuples()]
display(Markdown(page.Markup("\\n").join(lines)))""",
    ),
    (
        "code",
        """\
claims = pd.DataFrame([{
    "claim_id": "RFERL22-01", "made_by": "rferl-2022-farda-briefing", "made_on": pd.Timestamp("2022-07-19"),
    "made_on_precision": "day", "claim": text, "claim_kind": text, "chapter": "trade-trajectory",
    "verdict_when_made": text, "verdict": text, "verdict_as_of": pd.Timestamp("2026-11-30"),
    "reasoning": text, "evidence": pd.NA, "sources": pd.NA, "settle_by": text}])
framing = pd.DataFrame([{"dimension_id": "F01", "dimension": text, "finding": text, "evidence": pd.NA,
                         "reading": text, "would_change": text}])
display(Markdown(chapter_section("trade-trajectory", claims)))
display(Markdown(framing_markdown(framing)))""",
    ),
    (
        "code",
        """\
manifest = read_manifest("events")
forged = manifest.__class__(**{**manifest.__dict__, "title": text, "description": text, "credit": text})
display(Markdown(table_markdown(forged, rows=1)))""",
    ),
]


def hostile_book(root: Path) -> Path:
    """A one-chapter book beside its notebook and data: the book's configuration, extension and bibliography."""
    for name in ("_config.yml", "references.bib"):
        shutil.copy(REPO_ROOT / name, root / name)
    for name in ("_ext", "_static"):
        shutil.copytree(REPO_ROOT / name, root / name)
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: notebooks/hostile\n  - file: references\n", encoding="utf-8"
    )
    # The claims section links to the claim's ledger entry; give it one.
    (root / "intro.md").write_text(
        "# Test book\n\n(claim-rferl22-01)=\n## A claim\n\nOne hostile chapter.\n", encoding="utf-8"
    )
    (root / "references.md").write_text("# Sources\n\n```{bibliography}\n```\n", encoding="utf-8")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    frame_rows = "event_id,date,note,source\n" + "\n".join(
        f'E{i:03d},2024-01-0{i % 9 + 1},"{payload.replace(chr(34), chr(34) * 2)}",agency-2024-report'
        for i, payload in enumerate([HOSTILE, *PAYLOADS], start=1)
    )
    (notebooks / "hostile.csv").write_text(frame_rows + "\n", encoding="utf-8")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in NOTEBOOK_CELLS
    ]
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}
    ).execute()
    nbformat.write(notebook, notebooks / "hostile.ipynb")
    # The citation key must exist for the strict build: give the test book its own entry.
    with open(root / "references.bib", "a", encoding="utf-8") as bib:
        bib.write(
            "\n@misc{agency-2024-report,\n  author = {{News Agency}},\n  title = {A report},\n"
            "  howpublished = {News Agency},\n  year = {2024},\n  url = {https://example.org/report},\n"
            "  urldate = {2026-11-01},\n}\n"
        )
    subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            str(root),
            "--path-output",
            str(root),
            "--all",
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
        cwd=root,
    )
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    html = hostile_book(tmp_path_factory.mktemp("hostile-book"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notebooks/hostile.html"
    server.shutdown()


def test_a_script_payload_in_data_leaves_nothing_of_its_own_in_the_page(hostile_site):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = chromium.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(hostile_site, wait_until="load")
        page.hover("main")  # give any onmouseover a chance to fire
        # The payloads are marked: every script, handler, id and link target of theirs says "pwned". Anything
        # of the page that carries that mark, other than text, came from the data.
        found = page.evaluate("""() => {
            // the page body, not the theme's buttons
            const main = document.querySelector('article') || document.querySelector('main');
            const out = {pwned: window.__pwned || null, elements: [], attributes: [], links: [], scripts: []};
            for (const el of document.querySelectorAll('*')) {
                if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') out.elements.push('img src=x');
                if (['IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) out.elements.push(el.tagName);
                for (const attr of el.attributes) {
                    if (attr.value.includes('pwned') || (main.contains(el) && attr.name.startsWith('on'))) {
                        out.attributes.push(`${el.tagName} ${attr.name}=${attr.value.slice(0, 60)}`);
                    }
                }
            }
            for (const a of document.querySelectorAll('a[href]')) {
                const href = a.getAttribute('href');
                if (/^\\s*(javascript|data|vbscript):/i.test(href)) out.links.push(href);
            }
            for (const s of document.querySelectorAll('script')) {
                if (s.textContent.includes('pwned')) out.scripts.push(s.textContent.slice(0, 80));
            }
            out.text = main.innerText;
            return out;
        }""")
        chromium.close()
    assert found["pwned"] is None and dialogs == []
    assert (found["elements"], found["attributes"], found["links"], found["scripts"]) == ([], [], [], [])
    # Sphinx's smart quotes curl the payload's quotation marks; straighten them to compare.
    text = found["text"].translate(str.maketrans("‘’“”", "''\"\""))
    # The payload is shown, as text, by every helper: the glue, the tables, the lists and the sections.
    assert text.count("<script>window.__pwned = 'script'</script>") >= 8
    assert "<img src=x onerror=\"window.__pwned = 'img'\">" in text
    assert "{raw}`html" in text and "[click](javascript:" in text and "&lt;iframe" in text
