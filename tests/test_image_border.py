"""The dark-mode hint's white-border test looks only at the border band of an image now: it must
decide exactly as the whole-image thumbnail it replaced did, on every kind of image Pillow opens."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from pipeline.images import border as image_border


def whole_thumbnail_edge(image: Image.Image) -> list[tuple[int, ...]]:
    """The reference: the border of a thumbnail of the whole image, as `white_border` computed it before."""
    small = image.convert("RGBA")
    small.thumbnail((128, 128))
    w, h = small.size
    px = small.load()
    return [px[x, y] for x in range(w) for y in (0, h - 1)] + [px[x, y] for y in range(h) for x in (0, w - 1)]


def reference_white_edge(image: Image.Image) -> bool:
    edge = whole_thumbnail_edge(image)
    white = sum(1 for r, g, b, a in edge if a > 250 and min(r, g, b) >= 235)
    return white >= 0.9 * len(edge)


def band_edge(image: Image.Image) -> list[tuple[int, ...]]:
    """The same border, from the border band alone (what `white_border` decides on when a top row is not enough)."""
    size = image_border._thumb_size(image.width, image.height)
    if size is None:
        return image_border._border(image.convert("RGBA"))
    strips = image_border._Strips(image, size)
    return image_border._border(strips.thumbnail([strips.top(), strips.bottom(), strips.left(), strips.right()]))


def outcome(fn, data: bytes | Image.Image):  # type: ignore[no-untyped-def]
    """What `fn` says about a freshly opened copy (a file is decoded lazily), or the error it raises."""
    image = Image.open(io.BytesIO(data)) if isinstance(data, bytes) else data.copy()
    try:
        return fn(image)
    except Exception as error:  # a mode Pillow cannot convert must fail in both the same way
        return type(error).__name__


def assert_same(data: bytes | Image.Image) -> None:
    assert outcome(image_border.white_border, data) == outcome(reference_white_edge, data)
    assert outcome(band_edge, data) == outcome(whole_thumbnail_edge, data)


# Near the thresholds (min channel 235, alpha 250) and far from them; sizes around the thumbnail's
# 128 px and Pillow's reduce factors (an image is first reduced by ⌊side / target / 2⌋).
LEVELS = st.sampled_from([255, 251, 250, 236, 235, 234, 120, 0])
SIDES = st.one_of(st.sampled_from([1, 2, 3, 127, 128, 129, 256, 257, 511, 512, 513, 1031]), st.integers(1, 1300))
BOX = st.tuples(st.floats(-0.2, 1.0), st.floats(-0.2, 1.0), st.floats(0, 0.6), st.floats(0, 0.6))
COLOUR = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.sampled_from([255, 251, 128, 0]))
MODES = ["RGB", "RGBA", "L", "LA", "P", "P+transparency", "1", "CMYK", "I;16", "I", "F"]
FORMATS = [None, "PNG", "GIF", "JPEG", "WEBP"]


def make(size, background, boxes, mode, fmt) -> bytes | Image.Image:  # type: ignore[no-untyped-def]
    w, h = size
    image = Image.new("RGBA", size, background)
    draw = ImageDraw.Draw(image)
    for (x, y, dx, dy), colour in boxes:
        draw.rectangle((x * w, y * h, (x + dx) * w, (y + dy) * h), fill=colour)
    if mode == "P+transparency":
        image = image.convert("RGB").quantize(16)
        image.info["transparency"] = 0
    else:
        image = image.convert(mode)
    if fmt is None:
        return image
    out = io.BytesIO()
    try:
        image.save(out, fmt)
    except (OSError, ValueError, KeyError):  # this format does not store this mode
        return image
    return out.getvalue()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.tuples(SIDES, SIDES).filter(lambda s: s[0] * s[1] <= 700_000),
    background=st.tuples(LEVELS, LEVELS, LEVELS, st.sampled_from([255, 251, 250, 0])),
    boxes=st.lists(st.tuples(BOX, COLOUR), max_size=6),
    mode=st.sampled_from(MODES),
    fmt=st.sampled_from(FORMATS),
)
def test_border_band_decides_as_the_whole_thumbnail(size, background, boxes, mode, fmt) -> None:  # type: ignore[no-untyped-def]
    assert_same(make(size, background, boxes, mode, fmt))


def frames_gif(first: tuple[int, int, int], second: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    one = Image.new("RGB", (700, 300), first)
    one.paste((20, 40, 90), (100, 100, 600, 200))
    two = Image.new("RGB", (700, 300), second)
    one.save(out, "GIF", save_all=True, append_images=[two], duration=100, loop=0)
    return out.getvalue()


def sixteen_bit_png(level: int) -> bytes:
    image = Image.new("I;16", (900, 500), level)
    image.paste(1000, (300, 100, 600, 400))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def cmyk_jpeg(ink: tuple[int, int, int, int]) -> bytes:
    image = Image.new("CMYK", (1400, 900), ink)
    image.paste((200, 100, 0, 50), (200, 200, 1200, 700))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        frames_gif((255, 255, 255), (0, 0, 0)),  # white first frame, dark second: the first frame decides
        frames_gif((0, 0, 0), (255, 255, 255)),
        sixteen_bit_png(65535),
        sixteen_bit_png(60000),
        cmyk_jpeg((0, 0, 0, 0)),
        cmyk_jpeg((0, 0, 0, 40)),
        Image.new("RGB", (1, 1), (255, 255, 255)),
        Image.new("RGBA", (1, 1), (255, 255, 255, 250)),
        Image.new("LA", (2000, 1), (255, 255)),
        Image.new("L", (1, 3000), 240),
    ],
    ids=[
        *("gif-white-first", "gif-dark-first", "png16-white", "png16-grey", "cmyk-white", "cmyk-grey"),
        *("1px", "1px-alpha", "1-row", "1-column"),
    ],
)
def test_awkward_images_decide_as_the_whole_thumbnail(data: bytes | Image.Image) -> None:
    assert_same(data)


def test_the_answers_differ_between_examples() -> None:
    """The sameness above is not two functions that always say the same constant."""
    white = Image.new("RGB", (1500, 900), (255, 255, 255))
    white.paste((10, 60, 120), (300, 300, 1200, 600))
    assert image_border.white_border(white) is True
    assert image_border.white_border(Image.new("RGB", (1500, 900), (90, 90, 90))) is False
