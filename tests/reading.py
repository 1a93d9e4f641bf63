"""Helpers for the frontend tests (importable from any test file: pytest puts tests/ on the path)."""


def pinyin(fe, text: str, **kw) -> str:
    """The frontend's reading of ``text``: every syllable's pinyin with its tone, space-separated."""
    return " ".join(p for s in fe(text, **kw).segments for p in s.pinyin)
