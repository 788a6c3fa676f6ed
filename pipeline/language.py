"""Which passages are not in the newsletter's language, so they can carry `lang` (WCAG 3.1.2):
a screen reader then reads an English quote with English pronunciation.

py3langid does the detecting: a well-kept fork of langid.py that ships its model, is deterministic
and needs only numpy (lingua is more accurate on very short text but weighs 96 MB and loads
slower). Two guards keep German text from ever being mislabelled: a passage goes to the model only
when it has more English than German function words, and only a confident answer (≥ 0.99) on a
passage of at least six words counts. The model loads on first use, so issues without foreign
passages never pay for it.
"""

from __future__ import annotations

import re
from functools import lru_cache

LANGUAGES = ["de", "en", "fr", "es", "it", "nl", "pt", "pl", "tr"]
CONFIDENCE = 0.99
MIN_WORDS = 6

# Short function words: frequent, and rare in the other language.
_GERMAN = frozenset(
    """der die das und ist nicht ein eine einen dem den des im zu mit von auf für sich auch es wie
    sie wir ich er aber oder wenn dass nur noch schon bei aus nach über hat sind wird werden war
    """.split()  # noqa: SIM905 - a word list reads best as words
)
_ENGLISH = frozenset(
    """the and of to is that it for not but by with are was this on be have has from they we you
    what which their there been would could will an or at as
    """.split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # loads a 4.5 MB model: only when needed

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


@lru_cache(maxsize=4096)
def foreign_language(text: str, base: str = "de") -> str | None:
    """The language of `text` when it is confidently not `base`; None when it is `base` or unsure.

    Cached: `krasse watch` parses the same paragraphs again on every save."""
    base = base.split("-")[0].lower()
    if text.count(" ") < MIN_WORDS - 1:
        return None
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    if base == "de":
        german = sum(w in _GERMAN for w in words)
        english = sum(w in _ENGLISH for w in words)
        if german >= english:
            return None  # German, or too little to tell: never mislabel the newsletter's own language
    lang, confidence = _identifier().classify(text)
    return lang if lang != base and confidence >= CONFIDENCE else None
