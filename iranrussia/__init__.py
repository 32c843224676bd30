"""Shared code of the Iran–Russia book: validated data loading, sources, and the chart style."""

from .bibliography import BibliographyError, read_bibliography
from .data import DataValidationError, load, read_manifest, split_source_keys, table_names

__all__ = [
    "BibliographyError",
    "DataValidationError",
    "load",
    "read_bibliography",
    "read_manifest",
    "split_source_keys",
    "table_names",
]
