"""Text as people type it: one form to store, and one form to compare.

A person may type "한강" composed or decomposed (NFD, as macOS file names are), "Straße" or
"STRASSE", with a stray space at either end; each pair must be the same text to a search.
"""

from __future__ import annotations

import unicodedata


def normalised(text: str) -> str:
    """Text as it is stored: trimmed, in Unicode NFC (composed characters)."""
    return unicodedata.normalize("NFC", text).strip()


def folded(text: str) -> str:
    """Text as searches compare it: trimmed and fully case folded, Unicode's canonical
    caseless match (NFD, casefold, then NFC to keep it short): "Straße" and "STRASSE" fold
    alike, and so do a composed and a decomposed "é". The databases store this form
    beside the text and compare only it, so both databases find the same (ADR 0024)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold()).strip()
