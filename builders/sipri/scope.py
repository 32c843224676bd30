"""What the arms chapter covers: the states as SIPRI names them, the years, and the SIPRI releases."""

from __future__ import annotations

USSR, RUSSIA, IRAN, BELARUS = "Soviet Union", "Russia", "Iran", "Belarus"
ALL_SUPPLIERS = "All suppliers"
ALL_RECIPIENTS = "All recipients"
FIRST_YEAR = 1980
LAST_SOVIET_YEAR = 1991  # SIPRI's convention: the Soviet Union to 1991, Russia from 1992
WAR_YEAR = 2022  # first year of the wartime flows (Iran -> Russia; Russia's imports by supplier)

# Last delivery year each release covers (the 2024 TIV tables carry an empty 2024 column).
RELEASE_LAST_YEAR = {2024: 2023, 2025: 2024, 2026: 2025}
SOURCE_KEY = {2024: "sipri-atdb-2024", 2025: "sipri-atdb-2025", 2026: "sipri-atdb-2026"}
