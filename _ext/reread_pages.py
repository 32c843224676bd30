"""Let ``tasks.py build`` name the pages Sphinx must re-read when it reuses the environment of the last build.

An incremental render (see :func:`iranrussia.maintenance.update_book`) reuses the last strict build's pickled
environment and writes every page again, but re-reads only the pages whose own source changed. Sphinx finds
those by file modification time, which a copy or checkout can leave older than the last build; the build
instead says which pages changed by content (their sha256 against the last build's stamp), in the environment
variable below, and this hook adds them to what Sphinx re-reads. Unset (every other build, Jupyter Book's
own included), it adds nothing.
"""

from __future__ import annotations

import json
import os

from iranrussia.fingerprint import REREAD_VARIABLE  # a JSON list of docnames, e.g. ["notebooks/arms-flows"]


def _changed_pages(app, env, added, changed, removed) -> list[str]:
    names = json.loads(os.environ.get(REREAD_VARIABLE) or "[]")
    unknown = sorted(set(names) - env.found_docs)
    if unknown:
        raise RuntimeError(f"{REREAD_VARIABLE} names pages the book does not have: {unknown}")
    return names


def setup(app):
    app.connect("env-get-outdated", _changed_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
