"""Names reduced for matching, across accents, cases and scripts: one fold for search and look-ups.

The graph names clusters and organisations from Russian, Ukrainian, Belarusian, Kazakh and EU
sources; a person types "Технополис", "Tekhnopolis" or "Technopolis" for the same thing.
:func:`fold_name` transliterates any script to ASCII (the ``anyascii`` library: Cyrillic by the
usual romanisation, so "Технополис" → "tekhnopolis") and keeps lower-case words;
:func:`spelling_key` further merges the spellings romanisations disagree on (kh/ch/h, c/k, x/ks,
y/i/j, w/v, ph/f, doubled letters), so a Latin spelling and a transliterated Cyrillic one meet.
Search tries the fold first (exact spelling ranks higher) and the key second.
"""

from __future__ import annotations

import re

from anyascii import anyascii

__all__ = ["fold_name", "spelling_key"]

_NOT_WORD = re.compile(r"[^a-z0-9]+")
#: applied in order to a folded name; each merges spellings that romanisations use for one sound
_SPELLINGS = [(re.compile(pattern), replacement) for pattern, replacement in [
    (r"kh|ch|h", "h"),
    (r"ck|c|k|q", "k"),
    (r"x", "ks"),
    (r"ph", "f"),
    (r"w", "v"),
    (r"[yj]", "i"),
    (r"([a-z])\1+", r"\1"),
]]


def fold_name(text: str) -> str:
    """ASCII (any script transliterated), lower case, words separated by single spaces.

    >>> fold_name("  Pôle Mer-Méditerranée ")
    'pole mer mediterranee'
    >>> fold_name("Технополис «Москва»")
    'tekhnopolis moskva'
    """
    return _NOT_WORD.sub(" ", anyascii(text).lower()).strip()


def spelling_key(text: str) -> str:
    """The fold with the spellings of one sound merged: Latin and Cyrillic spellings meet.

    >>> spelling_key("Технополис") == spelling_key("Technopolis") == spelling_key("Tekhnopolis")
    True
    >>> spelling_key("Академпарк") == spelling_key("Academpark")
    True
    """
    key = fold_name(text)
    for pattern, replacement in _SPELLINGS:
        key = pattern.sub(replacement, key)
    return key
