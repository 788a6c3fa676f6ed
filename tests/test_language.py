"""Foreign-language passages get `lang` (WCAG 3.1.2); German text never does."""

from __future__ import annotations

import re

import pytest

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


def _reference():
    """py3langid's own loading path: the whole packed model, then restricted to our languages."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from pipeline.language import LANGUAGES

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


def test_unpacked_model_is_cached_and_scores_exactly_like_the_shipped_one(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path / "cache"))
    first = language._identifier.__wrapped__()  # unpacks and writes the cache
    cached = list((tmp_path / "cache").glob("py3langid-*.npz"))
    assert len(cached) == 1
    second = language._identifier.__wrapped__()  # reads the cache
    assert isinstance(second.tk_nextmove, memoryview)  # the 39 MB table is mapped, not read
    reference = _reference()
    for sentence in SENTENCES:
        expected = reference.classify(sentence)
        assert first.classify(sentence) == expected
        assert second.classify(sentence) == expected


def test_damaged_cache_is_unpacked_again(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    language._identifier.__wrapped__()
    (cached,) = tmp_path.glob("py3langid-*.npz")
    cached.write_bytes(b"not a model")
    identifier = language._identifier.__wrapped__()
    assert identifier.classify(SENTENCES[0]) == _reference().classify(SENTENCES[0])
    assert cached.stat().st_size > 1_000_000  # written anew


def test_damaged_transition_table_is_unpacked_again(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    language._identifier.__wrapped__()
    (table,) = tmp_path.glob("py3langid-*.nextmove.npy")
    with table.open("r+b") as handle:
        handle.truncate(1000)
    identifier = language._identifier.__wrapped__()
    assert identifier.classify(SENTENCES[0]) == _reference().classify(SENTENCES[0])
    assert table.stat().st_size > 30_000_000  # written anew


def test_unwritable_cache_still_detects(tmp_path, monkeypatch) -> None:
    from pipeline import language

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KRASSE_CACHE_DIR", str(blocker / "cache"))  # below a file: cannot be created
    identifier = language._identifier.__wrapped__()
    assert identifier.classify(SENTENCES[0])[0] == "en"
    assert not list(tmp_path.glob("**/py3langid-*.npz"))


def test_cache_of_another_model_version_is_removed(tmp_path, monkeypatch) -> None:
    from pipeline import language

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    stale = [tmp_path / "py3langid-0000000000000000.npz", tmp_path / "py3langid-0000000000000000.moves.npy"]
    for path in stale:
        path.write_bytes(b"left by an older krasse")
    (tmp_path / "other.txt").write_text("not ours")
    language._identifier.__wrapped__()
    assert not any(path.exists() for path in stale)
    assert (tmp_path / "other.txt").exists()
    assert len(list(tmp_path.glob("py3langid-*"))) == 2
