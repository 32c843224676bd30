"""Builders that (re)derive data tables; run by hand, never by the notebooks."""
