"""Take the book as the README's build command makes it (reusing an up-to-date build), serve it on loopback
and open every page in headless Chromium: each page loads, shows no JavaScript error, has no broken image or
internal link, and every image carries alt text. The landing page must show the key findings. On a phone
(390 px wide) as on a desktop (1400 px) no page scrolls sideways, and every chart opens at full size on a tap.
Each page is loaded once per test run (see page_readings) and what every check needs is read in that load."""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import threading
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from iranrussia import figuredata, fingerprint, load
from iranrussia.maintenance import build_book
from iranrussia.paths import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network, Chromium needs these to start and to stop calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOT_PAGES = {"_static", "_sources", "_images", "reports", "_downloads"}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test log readable
        pass


def run_folder(tmp_path_factory, worker_id: str) -> Path:
    """The temporary folder of the whole test run, which its parallel workers share (each has its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def built_book(tmp_path_factory, worker_id: str) -> Path:
    """The book's HTML as ``tasks.py build`` makes it: the repository's own ``_build/html`` when its stamp says
    the last strict build passed and no input of it has changed since, else one strict build made for this
    test run and shared by its parallel workers (the first to get the lock builds, the others wait for it)."""
    if not fingerprint.render_changes(REPO_ROOT):
        return REPO_ROOT / "_build" / "html"
    run_dir = run_folder(tmp_path_factory, worker_id)
    done = run_dir / "book-built"
    with open(run_dir / "book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            build_book(run_dir / "book")
            done.touch()
    return run_dir / "book" / "_build" / "html"


@pytest.fixture(scope="module")
def site(tmp_path_factory, worker_id):
    html = built_book(tmp_path_factory, worker_id)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield html, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def pages(html: Path) -> list[str]:
    return sorted(
        str(p.relative_to(html)) for p in html.rglob("*.html") if not (set(p.relative_to(html).parts) & NOT_PAGES)
    )


class _PageScan(HTMLParser):
    """The ids of a page's elements and its meta-refresh target: a streaming parse, much faster than building
    a whole tree with BeautifulSoup for pages of half a megabyte."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refresh: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") is not None:
            self.ids.add(attributes["id"])
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh" and self.refresh is None:
            self.refresh = attributes.get("content") or ""

    handle_startendtag = handle_starttag


@functools.cache
def scanned(path: Path) -> _PageScan:
    scan = _PageScan()
    scan.feed(path.read_text(encoding="utf-8"))
    scan.close()
    return scan


def redirect_target(path: Path) -> str | None:
    """The target of a meta-refresh stub (Jupyter Book writes index.html as one), or None."""
    refresh = scanned(path).refresh
    return None if refresh is None else refresh.split("url=", 1)[-1].strip()


def ids_in(path: Path) -> frozenset[str]:
    return frozenset(scanned(path).ids)


def internal_link_problem(html: Path, base: str, href: str) -> str | None:
    """Why an in-book link is broken, or None."""
    parsed = urllib.parse.urlsplit(href)
    target = html / urllib.parse.unquote(parsed.path[len(urllib.parse.urlsplit(base).path) :])
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"{href}: no such file"
    if parsed.fragment and target.suffix == ".html" and parsed.fragment not in ids_in(target):
        return f"{href}: no element with id '{parsed.fragment}'"
    return None


def test_book_has_the_expected_pages(site):
    html, _ = site
    found = pages(html)
    for required in (
        "index.html",
        "references.html",
        "notebooks/data-dictionary.html",
        "notebooks/relationship-at-a-glance.html",
        "notebooks/trade-trajectory.html",
        "notebooks/oil-competition.html",
        "notebooks/claims-ledger.html",
        "notebooks/arms-flows.html",
        "notebooks/iranian-skepticism.html",
        "notebooks/western-policy.html",
    ):
        assert required in found


def test_each_charts_data_is_shipped_as_its_notebook_gives_it(site):
    html, _ = site
    expected = {}
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        expected.update(figuredata.figure_data(json.loads(path.read_text(encoding="utf-8"))))
    shipped = {p.stem: p.read_text(encoding="utf-8") for p in (html / figuredata.DOWNLOAD_DIR).glob("*.csv")}
    assert len(expected) >= 30 and shipped == expected


SHARDS = 2  # the pages are shared out between this many collections, which parallel workers run side by side

# What the tests of tests/test_cite.py read of each page (footer, links, headings, text), taken in the same load.
READ_PAGE = """() => ({
    footer: [...document.querySelectorAll('footer .book-licence')].map(e => e.innerText),
    citeLinks: [...document.querySelectorAll('footer a.cite-reuse-link')].map(e => e.href),
    mainLinks: [...document.querySelectorAll('main a[href]')].map(e => e.href),
    h2: [...document.querySelectorAll('article h2')].map(e => e.innerText.replace('#', '').trim()),
    article: (document.querySelector('article') || document.body).innerText.trim(),
})"""

IMAGES = """els => els.map(e => ({src: e.getAttribute('src'), alt: (e.getAttribute('alt') || '').trim(),
  loaded: e.complete && e.naturalWidth > 0}))"""


def read_page(context, base: str, name: str) -> dict:
    """Everything the browser tests check of one page, from a single load: opened at desktop width, read, then
    narrowed to a phone's width and measured again. Narrowing the loaded page is what a phone shows because
    the book's layout is CSS alone (its media queries re-apply on resize) and it ships no script that sizes
    anything at load time. A page load costs about a second; before, each page was loaded three times."""
    page = context.new_page()
    errors: list[str] = []
    external: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"JS exception: {exc}"))
    page.on("console", lambda msg: errors.append(f"console error: {msg.text}") if msg.type == "error" else None)
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    # The book must read offline: a page that fetches anything from outside the site is a defect.
    page.on("request", lambda req: None if req.url.startswith((base, "data:", "blob:")) else external.append(req.url))
    response = page.goto(base + name, wait_until="load")
    reading = {
        "status": response.status if response is not None else None,
        "ok": response is not None and response.ok,
        "images": page.eval_on_selector_all("img", IMAGES),
        "hrefs": page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"),
        "figures": page.evaluate(FIGURE_LINKS),
        "shown": page.evaluate(READ_PAGE),
        "sideways": {str(DESKTOP["width"]): sideways_scroll(page)},
    }
    page.set_viewport_size(PHONE)
    reading["sideways"][str(PHONE["width"])] = sideways_scroll(page)
    reading["phone_figures"] = page.evaluate(PHONE_FIGURES)
    page.close()
    reading["errors"], reading["external"] = errors, external
    return reading


def read_shard(browser, html: Path, base: str, shard: int) -> dict[str, dict]:
    """Page name -> its reading, for this shard's pages other than redirect stubs."""
    context = browser.new_context(viewport=DESKTOP)
    names = [name for name in pages(html)[shard::SHARDS] if redirect_target(html / name) is None]
    readings = {name: read_page(context, base, name) for name in names}
    context.close()
    return readings


@pytest.fixture(scope="module")
def page_readings(site, browser, tmp_path_factory, worker_id):
    """``readings(shard) -> (base, {page: reading})``: each shard's pages are read once per test run and kept, as
    JSON, in the run's shared folder, so the page, phone and Cite tests on any worker use the same single load
    of each page (a worker that needs a shard another is reading waits for it). ``base`` is the address the
    pages were read at, which links in the readings start with."""
    html, base = site
    run_dir = run_folder(tmp_path_factory, worker_id)

    def readings(shard: int) -> tuple[str, dict[str, dict]]:
        kept = run_dir / f"page-readings-{shard}.json"
        with open(run_dir / f"page-readings-{shard}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not kept.exists():
                found = {"base": base, "html": str(html), "pages": read_shard(browser, html, base, shard)}
                temporary = kept.with_suffix(".tmp")
                temporary.write_text(json.dumps(found), encoding="utf-8")
                temporary.replace(kept)
        found = json.loads(kept.read_text(encoding="utf-8"))
        assert found["html"] == str(html), "the readings are of another build of the book"
        return found["base"], found["pages"]

    return readings


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_page_loads_clean_in_chromium(site, page_readings, shard):
    html, _ = site
    base, readings = page_readings(shard)
    problems: list[str] = []
    external: list[str] = []
    for name in pages(html)[shard::SHARDS]:
        target = redirect_target(html / name)
        if target is not None and not (html / Path(name).parent / target).is_file():
            problems.append(f"{name}: redirects to missing {target}")
    for name, seen in readings.items():
        if not seen["ok"]:
            problems.append(f"{name}: HTTP {seen['status'] or 'no response'}")
        for image in seen["images"]:
            if not image["loaded"]:
                problems.append(f"{name}: broken image {image['src']}")
            if not image["alt"] or image["alt"].lower().startswith(("<figure", "../", "_images")):
                problems.append(f"{name}: image {image['src']} has no real alt text")
        for href in seen["hrefs"]:
            if href.startswith(base):
                problem = internal_link_problem(html, base, href)
                if problem:
                    problems.append(f"{name}: broken link {problem}")
        problems.extend(f"{name}: {e}" for e in seen["errors"])
        if seen["sideways"][str(DESKTOP["width"])]:
            problems.append(f"{name} at {DESKTOP['width']} px: {seen['sideways'][str(DESKTOP['width'])]}")
        problems.extend(figure_link_problems(seen["figures"], html, base, name))
        external.extend(f"{name}: {url}" for url in seen["external"])
    assert not problems, "\n".join(problems)
    # The book is self-contained: nothing it needs to render lives off the machine.
    assert not external, f"pages reached outside the book: {sorted(external)}"


def test_landing_page_shows_the_key_findings(site, browser):
    _, base = site
    page = browser.new_page()
    page.goto(base + "index.html")  # a redirect stub: the reader lands on the root page of the table of contents
    page.wait_for_url("**/intro.html")
    page.wait_for_load_state("load")
    text = page.inner_text("main")
    page.close()
    assert "Key findings" in text
    events = load("events")
    # The number of events is computed here from the data, independently of the page's own glue.
    assert f"{len(events)} dated events" in text
    for question in ("trade", "arms", "skeptic", "policy"):
        assert question in text.lower()


def test_ledger_page_shows_every_claim_with_its_verdict_as_rendered_text(site, browser):
    _, base = site
    page = browser.new_page()
    page.goto(base + "notebooks/claims-ledger.html", wait_until="load")
    text = page.inner_text("main")
    anchors = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
    page.close()
    claims = load("claims")
    for claim in claims.itertuples():
        assert f"{claim.claim_id}: " in text, claim.claim_id
        assert f"claim-{claim.claim_id.lower()}" in anchors, f"no link target for {claim.claim_id}"
        entry = text.split(f"{claim.claim_id}: ")[1][:4000]
        assert f"Verdict: {claim.verdict} as of" in entry, claim.claim_id
    # roles and escapes are rendered, never shown to the reader as source
    for raw in ("{ref}", "{cite", "{doc}", "\\:", "\\("):
        assert raw not in text, raw


#: A phone held upright (an iPhone 12 to 15 is 390 CSS px wide) and a desktop window.
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1400, "height": 900}

# The element that sticks out furthest to the right of the viewport without being clipped by a box that scrolls
# or hides its overflow (such a box, if it is itself too wide, is the one reported), nor fixed to the viewport
# (the theme's off-canvas sidebars wait there, and fixed boxes do not widen the page). Its right edge counts the
# text it overflows with (scrollWidth), so an unbreakable string is found in its paragraph. Ties (within a pixel)
# go to the deepest element, which names the culprit rather than its container.
WIDEST_OFFENDER = """() => {
  const limit = window.innerWidth + 1;
  const free = (e) => {
    for (let a = e; a && a !== document.documentElement; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.position === "fixed") return false;
      if (a !== e && style.overflowX !== "visible") return false;
    }
    return true;
  };
  let worst = null, right = 0;
  for (const e of document.body.querySelectorAll("*")) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const scrolls = getComputedStyle(e).overflowX !== "visible";  // its scrollWidth is content it keeps inside
    const edge = scrolls ? box.right : Math.max(box.right, box.left + e.scrollWidth);
    if (edge > limit && edge >= right - 1 && free(e)) { worst = e; right = Math.max(edge, right); }
  }
  if (worst === null) return null;
  const classes = typeof worst.className === "string" && worst.className.trim()
    ? "." + worst.className.trim().split(/\\s+/).join(".") : "";
  const text = (worst.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 60);
  const tag = `<${worst.tagName.toLowerCase()}${worst.id ? "#" + worst.id : ""}${classes}>`;
  return `${tag} reaching ${Math.round(right)} px: "${text}"`;
}"""

# Each figure's image, the link around it (if any, to open it full size) and its "Data (CSV)" links.
FIGURE_LINKS = """() => Array.from(document.querySelectorAll("article figure img")).map((img) => {
  const link = img.closest("a[href]");
  const data = Array.from(img.closest("figure").querySelectorAll("a.figure-data-link"));
  return {src: img.getAttribute("src"), alt: img.getAttribute("alt") || "", shown: img.src,
          href: link ? link.href : null, data: data.map((a) => [a.textContent.trim(), a.href])};
})"""


# At a phone's width: each chart's shown width, and whether the box around it scrolls sideways.
PHONE_FIGURES = """() => Array.from(document.querySelectorAll("article figure img")).map((img) => {
  const box = img.closest("a") || img.parentElement;
  return {src: img.getAttribute("src"), width: img.getBoundingClientRect().width,
          boxScrolls: ["auto", "scroll"].includes(getComputedStyle(box).overflowX)};
})"""
#: The smallest width a chart is shown at on a phone: its 8 pt source line is then about 8 px, its labels 10 px.
PHONE_CHART_WIDTH = 700


def sideways_scroll(page) -> str | None:
    """Why the loaded ``page`` scrolls sideways (its width, the viewport's, the widest offender), or None."""
    width, viewport = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width <= viewport:
        return None
    offender = page.evaluate(WIDEST_OFFENDER) or "no single element found"
    return f"{width} px wide in a {viewport} px viewport; widest offender {offender}"


def figure_link_problems(figures: list[dict], html: Path, base: str, name: str) -> list[str]:
    """Each figure's image (``figures`` as FIGURE_LINKS reads them) must be a link to the very image file shown,
    which exists: a tap opens it full size. Under it, a "Data (CSV)" link leads to the CSV of its values."""
    problems = []
    for figure in figures:
        where = f"{name}: figure image {figure['src']} ({figure['alt'][:40]}…)"
        if figure["href"] is None:
            problems.append(f"{where} is not a link: a tap cannot open it at full size")
        elif figure["href"] != figure["shown"]:
            problems.append(f"{where} links to {figure['href']}, not to the image itself")
        elif internal_link_problem(html, base, figure["href"]):
            problems.append(f"{where}: {internal_link_problem(html, base, figure['href'])}")
        # ... and under it, one link to the CSV of the values it plots, which the book ships.
        if [text for text, _ in figure["data"]] != ["Data (CSV)"]:
            problems.append(f"{where} has data links {figure['data']}, not one 'Data (CSV)'")
        for _, href in figure["data"]:
            if not href.startswith(base + "data/figures/") or not href.endswith(".csv"):
                problems.append(f"{where}: data link {href} is not a CSV under data/figures/")
            elif internal_link_problem(html, base, href):
                problems.append(f"{where}: data link {internal_link_problem(html, base, href)}")
    return problems


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_page_scrolls_sideways_on_a_phone(page_readings, shard):
    """At 390 px no page is wider than the window: wide tables, long strings and charts scroll or wrap in their own
    box, and every chart is shown wide enough for its text to be read (its box scrolls sideways). (The width check
    at 1400 px, and that every chart opens full size, run in the page test above.)"""
    _, readings = page_readings(shard)
    problems = [
        f"{name} at {PHONE['width']} px: {seen['sideways'][str(PHONE['width'])]}"
        for name, seen in readings.items()
        if seen["sideways"][str(PHONE["width"])]
    ]
    # Charts stay legible: shown at least PHONE_CHART_WIDTH wide, in a box of their own that scrolls sideways.
    for name, seen in readings.items():
        for figure in seen["phone_figures"]:
            if figure["width"] < PHONE_CHART_WIDTH or not figure["boxScrolls"]:
                box = "scrolls" if figure["boxScrolls"] else "does not scroll"
                problems.append(
                    f"{name} at {PHONE['width']} px: chart {figure['src']} is {figure['width']:.0f} px wide "
                    f"(at least {PHONE_CHART_WIDTH}), its box {box}"
                )
    assert readings, "no page was read"
    assert not problems, "\n".join(problems)
