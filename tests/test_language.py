"""Foreign-language passages get `lang` (WCAG 3.1.2); German text never does."""

from __future__ import annotations

import functools
import os
import random
import re
import sys
import time
from itertools import repeat

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.language import foreign_language
from pipeline.markdown import parse, render_html


def html(src: str) -> str:
    return "".join(render_html(parse(src)).items)


# German sentences full of English loanwords and names: the hard cases for a detector.
GERMAN = [
    "Das Meeting zum Cloud-Computing wurde auf Montag verschoben, weil das Team noch am Deployment sitzt.",
    "Der Deep-Learning-Hype hat die Start-ups im Silicon Valley reich gemacht, aber nicht die Nutzer*innen.",
    "Ich habe den Newsletter im Homeoffice gelesen, während im Livestream das Keynote-Feuerwerk lief.",
    "Die Plattform nennt es Engagement, ich nenne es Aufmerksamkeitsökonomie mit schlechtem Design.",
    "Software as a Service ist für viele Verwaltungen ein Lock-in, den sie erst beim Update bemerken.",
    "Big Tech hat den Public Space übernommen, und die Politik schaut beim Streaming zu.",
    "Wer Open Source sagt, meint oft nur Open Weights, und das ist nicht dasselbe.",
]
ENGLISH = [
    "We are not against machines reading our work; we are against machines selling it back to us.",
    "The question is never just what a company builds, but whose time it gets to schedule for everyone.",
]


@pytest.mark.parametrize("sentence", GERMAN)
def test_german_with_loanwords_is_never_labelled(sentence: str) -> None:
    assert foreign_language(sentence) is None
    assert "lang=" not in html(sentence + "\n\n> " + sentence + "\n")


@pytest.mark.parametrize("sentence", ENGLISH)
def test_english_quote_and_paragraph_get_lang_en(sentence: str) -> None:
    out = html(f"Sie schreibt:\n\n> {sentence}\n\n{sentence}\n")
    assert '<blockquote lang="en">' in out
    assert f'<p lang="en">{sentence}</p>' in out
    assert "<p>Sie schreibt:</p>" in out


def test_short_passages_are_left_alone() -> None:
    assert foreign_language("This is the moment.") is None  # too short to be sure


def test_author_override_both_ways() -> None:
    out = html("{lang=en}\n> Yes.\n\n{lang=de}\n> " + ENGLISH[0] + "\n\n{lang=fr}\nOui, c'est ça.\n")
    assert '<blockquote lang="en">\n<p>Yes.</p>' in out  # too short to detect, but the author says so
    assert out.count('lang="en"') == 1  # the English quote the author marked German stays unmarked
    assert 'lang="de"' in out and '<p lang="fr">' in out


def test_tight_list_item_carries_the_language() -> None:
    out = html(f"- {ENGLISH[0]}\n- Ein ganz normaler deutscher Punkt in der Liste mit mehreren Wörtern.\n")
    assert re.search(r'<li lang="en">', out) and out.count('lang="en"') == 1


def test_nested_quotes_are_decided_as_a_whole() -> None:
    out = html(f"> {ENGLISH[1]}\n>\n> > Ein deutscher Satz im Zitat, der auch deutsch bleiben soll.\n")
    assert out.count("lang=") == 1


SENTENCES = [
    "The platforms decided long ago that moderation is a cost centre, not a product.",
    "Die Plattformen haben längst entschieden, dass Moderation ein Kostenfaktor ist.",
    "Les plateformes ont décidé depuis longtemps que la modération est un coût.",
    "What we call the feed is a negotiation between attention and advertising money.",
]


@functools.cache
def _reference():
    """py3langid's own loading path and scorer (numpy): the whole packed model, restricted to our languages."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.language import LANGUAGES

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


def _same_decision(ours: tuple[str, float], theirs: tuple[str, float]) -> bool:
    """The same language, on the same side of the confidence threshold, and the same confidence but
    for float32 rounding (py3langid sums in single precision, we in double)."""
    from pipeline.language import CONFIDENCE

    return (
        ours[0] == theirs[0]
        and (ours[1] >= CONFIDENCE) == (theirs[1] >= CONFIDENCE)
        and ours[1] == pytest.approx(theirs[1], abs=1e-5)
    )


def test_unpacked_model_is_cached_and_scores_like_the_shipped_one(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path / "cache"))
    first = language._identifier.__wrapped__()  # unpacks and writes the cache
    cached = list((tmp_path / "cache").glob("py3langid-*.model"))
    assert len(cached) == 1
    second = language._identifier.__wrapped__()  # reads the cache
    assert isinstance(second.moves, memoryview)  # the 39 MB table is mapped, not read
    reference = _reference()
    for sentence in SENTENCES:
        expected = reference.classify(sentence)
        assert _same_decision(first.classify(sentence), expected)
        assert second.classify(sentence) == first.classify(sentence)


def test_numpy_free_scorer_decides_like_py3langid() -> None:
    """Every paragraph of generated issues and the examples, and random runs of their words (short,
    long, mixed languages): the same language and the same side of the threshold as py3langid."""
    from pathlib import Path

    from generate import generate_issue

    from pipeline.language import _identifier

    root = Path(__file__).resolve().parent.parent
    texts = [*SENTENCES, *GERMAN, *ENGLISH, "", "A", "THE PLATFORMS DECIDED LONG AGO", "Ein \ud800 Satz", "e\u0301 ﬁ"]
    sources = [generate_issue(n, 6000, 7, True, False) for n in range(1, 9)]
    sources += [path.read_text("utf-8") for path in sorted((root / "issues").glob("*.md"))]
    for source in sources:
        texts += [part for part in re.split(r"\n\s*\n", source) if part.strip()]
    words = " ".join(texts).split()
    rng = random.Random(13)
    for _ in range(1500):
        size = rng.randint(1, 40)
        start = rng.randrange(len(words) - size)
        texts.append(" ".join(words[start : start + size]))
    ours, reference = _identifier(), _reference()
    differ = [text for text in texts if not _same_decision(ours.classify(text), reference.classify(text))]
    assert differ == []


def test_the_scorers_integer_rows_are_py3langids_values_exactly() -> None:
    """Every cell the scorer adds is py3langid's own log-probability for our languages, exactly: the
    integer lanes lose nothing, so only the final double rounding differs from an exact sum."""
    import numpy as np

    from pipeline.language import _identifier

    ours, reference = _identifier(), _reference()
    assert ours.classes == list(reference.nb_classes)
    rows = ours.rows
    lanes = np.frombuffer(rows.table, dtype={"I": "=u4", "Q": "=u8"}[rows.lane]).reshape(-1, len(ours.classes))
    assert np.array_equal(-(lanes * rows.unit), np.asarray(reference.nb_ptc, dtype=np.float64))
    assert all(rows[f] == int.from_bytes(lanes[f].tobytes(), sys.byteorder) for f in (0, 1, len(lanes) - 1))


def test_a_finer_model_gets_wider_lanes_and_a_broken_one_is_refused(tmp_path) -> None:
    import numpy as np

    from pipeline.language import _fixed_point

    rng = np.random.default_rng(3)
    fine = rng.uniform(0.001, 30, size=(50_000, 9)).astype(np.float32).astype(np.float64)  # 24-bit mantissas
    lanes, bits = _fixed_point(fine, tmp_path)
    assert lanes.itemsize == 8 and np.array_equal(lanes * 2.0**-bits, fine)  # exact, as the float16 model
    assert int(lanes.max()) * len(lanes) < 2**64  # no sum of distinct features can spill into the next lane
    half = rng.uniform(4, 16, size=(50_000, 9)).astype(np.float16).astype(np.float64)  # as py3langid's model
    lanes, bits = _fixed_point(half, tmp_path)
    assert (lanes.itemsize, bits) == (4, 8) and np.array_equal(lanes * 2.0**-bits, half)
    for broken in (-fine, fine * np.inf):
        with pytest.raises(ValueError, match="log-probabilities"):
            _fixed_point(broken, tmp_path)


_SCORER_WORDS = sorted({word for text in [*SENTENCES, *GERMAN, *ENGLISH] for word in text.split()})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SCORER_WORDS), min_size=1, max_size=25), st.integers(1, 5), st.booleans())
def test_scorer_decides_like_py3langid_with_features_seen_often(words: list[str], times: int, upper: bool) -> None:
    """Repeated words give features counted several times (each count its own weight)."""
    from pipeline.language import _identifier

    text = " ".join(words * times)
    text = text.upper() if upper else text
    assert _same_decision(_identifier().classify(text), _reference().classify(text))


def test_damaged_cache_is_unpacked_again(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    language._identifier.__wrapped__()
    (cached,) = tmp_path.glob("py3langid-*.model")
    cached.write_bytes(b"not a model")
    identifier = language._identifier.__wrapped__()
    assert _same_decision(identifier.classify(SENTENCES[0]), _reference().classify(SENTENCES[0]))
    assert cached.stat().st_size > 1_000_000  # written anew


def test_damaged_transition_table_is_unpacked_again(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    language._identifier.__wrapped__()
    (table,) = tmp_path.glob("py3langid-*.moves")
    with table.open("r+b") as handle:
        handle.truncate(1000)
    identifier = language._identifier.__wrapped__()
    assert _same_decision(identifier.classify(SENTENCES[0]), _reference().classify(SENTENCES[0]))
    assert table.stat().st_size > 30_000_000  # written anew


def test_unwritable_cache_still_detects(tmp_path, monkeypatch) -> None:
    from pipeline import language

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KRASSE_CACHE_DIR", str(blocker / "cache"))  # below a file: cannot be created
    identifier = language._identifier.__wrapped__()
    assert identifier.classify(SENTENCES[0])[0] == "en"
    assert not list(tmp_path.glob("**/py3langid-*"))


def test_cache_of_another_model_version_is_removed(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    stale = [tmp_path / "py3langid-0000000000000000.npz", tmp_path / "py3langid-0000000000000000.moves.npy"]
    month_ago = time.time() - 30 * 86400
    for path in stale:
        path.write_bytes(b"left by an older krasse")
        os.utime(path, (month_ago, month_ago))
    (tmp_path / "other.txt").write_text("not ours")
    language._identifier.__wrapped__()
    assert not any(path.exists() for path in stale)
    assert (tmp_path / "other.txt").exists()
    assert len(list(tmp_path.glob("py3langid-*"))) == 2


def test_two_versions_in_use_keep_each_others_cache(tmp_path, monkeypatch) -> None:
    """Two krasse versions on one machine (two virtualenvs, a worktree) each keep their own model: one
    used this week is left alone, where removing it made the other unpack again (about 1 s) on every run."""
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    recent = [tmp_path / "py3langid-1111111111111111.model", tmp_path / "py3langid-1111111111111111.moves"]
    for path in recent:
        path.write_bytes(b"the other version's model")
    language._identifier.__wrapped__()  # unpacks and stores ours
    assert all(path.exists() for path in recent)
    assert len(list(tmp_path.glob("py3langid-*"))) == 4


def test_loading_marks_the_cache_used_and_sweeps_unused_ones(tmp_path, monkeypatch) -> None:
    """A cache loaded (not stored) is marked used at most once a day, and then the copies of versions
    not used for a week go, so an upgrade does not leave the old model behind for good."""
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    language._identifier.__wrapped__()
    ours = sorted(tmp_path.glob("py3langid-*"))
    week_ago = time.time() - 8 * 86400
    for path in ours:
        os.utime(path, (week_ago, week_ago))
    old = tmp_path / "py3langid-2222222222222222.model"
    old.write_bytes(b"an upgraded-away version")
    os.utime(old, (week_ago, week_ago))
    language._identifier.__wrapped__()  # loads ours from the cache
    assert not old.exists()
    assert all(path.stat().st_mtime > time.time() - 3600 for path in ours)


def test_virtualenvs_with_the_same_model_share_one_cache(tmp_path, monkeypatch) -> None:
    """The cache is named for the model's content, not its path or file time: a second copy of the same
    py3langid model (another virtualenv) finds the first one's cache; a different model does not."""
    import os

    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path / "cache"))
    shipped = language._model_source()
    copy = tmp_path / "venv2" / "model.npz.xz"
    copy.parent.mkdir()
    copy.write_bytes(shipped.read_bytes())
    os.utime(copy, ns=(1, 1))
    assert language._cache_file(copy) == language._cache_file(shipped)
    other = tmp_path / "other.npz.xz"
    data = bytearray(shipped.read_bytes())
    data[len(data) // 2] ^= 1
    other.write_bytes(bytes(data[:-1]))
    assert language._cache_file(other) != language._cache_file(shipped)


def test_the_fast_word_table_finds_the_same_words_on_every_character_it_is_used_for() -> None:
    """The guard's Latin-1 table stands in for `[^\\W\\d_]+` on lower-cased text only where the text
    has no other letters: checked on every code point that keeps the fast path, alone and in runs."""
    from pipeline.language import _BEYOND_LATIN1, _WORD, _words

    everything = "".join(map(chr, range(0x110000)))
    kept = _BEYOND_LATIN1.sub("", everything)
    assert 256 < len(kept) < 1000
    assert not _BEYOND_LATIN1.search(kept.lower())  # lower-casing never leaves the fast path's characters

    def latin1(words: list) -> list[str]:
        assert all(isinstance(word, bytes) for word in words)
        return [word.decode("latin-1") for word in words]

    for c in kept:
        assert latin1(_words(c)) == _WORD.findall(c.lower()), repr(c)
    for text in (kept, kept[::-1], " ".join(kept), kept.upper() if not _BEYOND_LATIN1.search(kept.upper()) else ""):
        assert latin1(_words(text)) == _WORD.findall(text.lower())
    assert _words("Ärger über „den“ Kelvin-\u212a") == ["ärger", "über", "den", "kelvin", "k"]  # the other way


GUARD_PIECES = [
    " ", "  ", "-", ".", ",", "„", "“", "–", "…", "'", "2", "²", "_", "µ", "Ä", "ß", "é", "ı", "İ", "ǅ", "λ",
    "the", "The", "and", "of", "it", "der", "die", "Und", "nicht", "Wort", "word", "x", "für", "ÜBER", "\u212a",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(GUARD_PIECES), max_size=40).map("".join))
def test_the_guard_counts_words_as_before(text: str) -> None:
    """One lookup per word and the Latin-1 pattern give the decision the two set counts gave."""
    from pipeline.language import _ENGLISH, _GERMAN, _SCORE, _WORD, _words

    assert not (_GERMAN & _ENGLISH)
    words = _WORD.findall(text.lower())
    found = _words(text)
    assert [w if isinstance(w, str) else w.decode("latin-1") for w in found] == words
    assert sum(map(_SCORE.get, found, repeat(0))) == sum(_SCORE.get(w, 0) for w in words)
    german, english = sum(w in _GERMAN for w in words), sum(w in _ENGLISH for w in words)
    assert (sum(_SCORE.get(w, 0) for w in words) >= 0) == (german >= english)


def _mark_languages_before(state) -> None:
    """The language pass as it was before it became one pass over the tokens (with the tight
    paragraph's item found as the enclosing one): the reference."""
    from pipeline.markdown.languages import _inline_text

    base = state.env.get("language", "de")
    tokens = state.tokens
    skip_until = -1
    for i, token in enumerate(tokens):
        if i <= skip_until:
            continue
        if token.type == "blockquote_open":
            end = next(
                j
                for j in range(i + 1, len(tokens))
                if tokens[j].type == "blockquote_close" and tokens[j].level == token.level
            )
            if token.attrGet("lang") is None:
                text = " ".join(_inline_text(t) for t in tokens[i:end] if t.type == "inline")
                lang = foreign_language(text, base)
                if lang:
                    token.attrSet("lang", lang)
            skip_until = end
        elif token.type == "paragraph_open" and i + 1 < len(tokens) and token.attrGet("lang") is None:
            lang = foreign_language(_inline_text(tokens[i + 1]), base)
            if lang and not token.hidden:
                token.attrSet("lang", lang)
            elif lang:
                item = _enclosing_item(tokens, i)
                if item is not None and item.attrGet("lang") is None:
                    item.attrSet("lang", lang)


def _enclosing_item(tokens, i):  # type: ignore[no-untyped-def]
    """The list item that holds token i: walking back, the first item opened that was not closed
    again before i (the pass before this one took the last item opened, even one closed inside a quote)."""
    closed = 0
    for token in reversed(tokens[:i]):
        if token.type == "list_item_close":
            closed += 1
        elif token.type == "list_item_open":
            if not closed:
                return token
            closed -= 1
    return None


@functools.cache
def _parsers():  # type: ignore[no-untyped-def]
    from pipeline.markdown import configured

    before = configured()
    before.core.ruler.at("languages", _mark_languages_before)
    return configured(), before


_BLOCK_TEXTS = [*ENGLISH, *SENTENCES, GERMAN[0], GERMAN[4], "Yes.", "*" + ENGLISH[1] + "*", "`code` " + ENGLISH[0]]
_PREFIXES = ["", "> ", "> > ", ">", "- ", "  - ", "    - ", "1. ", "> - ", "- > ", "- > - ", "  ", "[^1]: "]


@st.composite
def _documents(draw) -> str:  # type: ignore[no-untyped-def]
    lines = []
    for _ in range(draw(st.integers(1, 14))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["{lang=en}", "{lang=de}", "{lang=fr}", "> {lang=en}"])))
        lines.append(draw(st.sampled_from(_PREFIXES)) + draw(st.sampled_from(_BLOCK_TEXTS)))
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", ">", "> >", "  ", "  ---", "---"])))
    return "Text[^1] davor.\n\n" + "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(_documents(), st.sampled_from(["de", "en", "de-AT"]))
@example(f"- > - {GERMAN[0]}\n  ---\n  {ENGLISH[0]}\n", "de")  # a tight paragraph after a quote holding a list
def test_language_marking_is_the_pass_it_replaced(source: str, language: str) -> None:
    """Quotes (nested, in lists), tight and loose lists, footnotes and the author's `{lang=…}`: the
    same `lang` on the same tokens as the pass before it was made linear."""
    ours, before = _parsers()
    got = [(t.type, t.attrs) for t in ours.parse(source, {"language": language})]
    expected = [(t.type, t.attrs) for t in before.parse(source, {"language": language})]
    assert got == expected


def test_the_language_pass_marks_list_items_and_quotes_in_long_documents() -> None:
    """A long tight list of English items and many quotes: each item and quote is marked once."""
    source = "\n".join(f"- {ENGLISH[i % 2]}" for i in range(400)) + "\n\n"
    source += "\n\n".join(f"> {ENGLISH[i % 2]}\n>\n> > {ENGLISH[1 - i % 2]}" for i in range(200)) + "\n"
    tokens = _parsers()[0].parse(source, {"language": "de"})
    assert sum(t.type == "list_item_open" and t.attrs.get("lang") == "en" for t in tokens) == 400
    quotes = [(t.level, t.attrs.get("lang")) for t in tokens if t.type == "blockquote_open"]
    assert quotes == [(0, "en"), (1, None)] * 200  # the inner quote is decided with the outer one
