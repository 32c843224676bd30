"""The SIPRI builder's stages (entry point: ``python -m builders.arms_sipri``).

* :mod:`.scope`   what the chapter covers: the states, the years, the SIPRI releases and their source keys;
* :mod:`.read`    the raw exports (three layouts), each read and normalised once;
* :mod:`.annual`  ``arms_tiv_annual``: yearly series, one per entry of its ``SERIES`` table;
* :mod:`.periods` ``arms_iran_imports_by_supplier`` and ``arms_russia_exports_by_recipient``;
* :mod:`.deals`   ``arms_deals``: the register, joined with the book's hand-kept ``arms_deal_annotations``
  and keeping the table's own hand rows (``record = press_only``).

Each stage returns DataFrames of typed values and validates what only it can know; column order, row order,
cell text and every check the manifests declare are :func:`iranrussia.data.write`'s.
"""
