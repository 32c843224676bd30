"""Drop exact repeats of inline <script> blocks from every page.

sphinx-thebe (loaded by Jupyter Book 1 whether or not a book uses it) registers its inline configuration
script after the builder exists; Sphinx 7 then records it both in the registry and on the builder, and every
page declares `const THEBE_JS_URL` twice, a JavaScript error in the browser. Keeping the first copy of each
identical inline script removes the error without touching anything else.
"""

from __future__ import annotations


def _drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    seen: set[str] = set()
    kept = []
    for script in context.get("script_files", []):
        # Inline scripts have no file name (None or "", depending on who added them) and carry a body.
        body = None if getattr(script, "filename", None) else getattr(script, "attributes", {}).get("body")
        if body is not None:
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _drop_repeated_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
