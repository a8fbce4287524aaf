"""Grammar of messages built from names: "an electrode batch", "a half cell", "an EIS
protocol"."""

from __future__ import annotations

#: words starting with a vowel letter but a consonant sound
_CONSONANT_SOUND = ("one", "uni", "use", "eu")


def a(phrase: object) -> str:
    """``phrase`` with its indefinite article: ``a("electrode batch") == "an electrode batch"``."""
    text = str(phrase)
    low = text.lower()
    vowel = low[:1] in "aeiou" and not low.startswith(_CONSONANT_SOUND)
    return f"{'an' if vowel else 'a'} {text}"
