"""The stored evidence files themselves: found only by a name we made, and printed in the evidence PDF
as a copy the size of its box, decoded no larger than needed, transparency on white paper."""
import io
import os
import re

import pytest
from PIL import Image

from domain import evidence


def jpeg_of(size):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("size, decoded, printed", [
    ((4000, 3000), 2000 * 1500, (1889, 1417)),  # the box's height binds: decoded at half size
    ((6000, 2000), 3000 * 1000, (2055, 685)),  # its width binds
    ((8, 8 * 1417), 1 * 1417, (1, 1417)),  # a sliver one pixel wide at 1/8 is still a picture
    ((8 * 2055, 8), 2055 * 1, (2055, 1))])  # and one pixel high
def test_a_large_jpeg_is_decoded_for_print_at_the_smallest_fraction_that_still_fills_the_box(size, decoded, printed):
    """A photo is decoded at 1/2, 1/4 or 1/8 of its size where that still fills the print box, and counts
    against the PDF's budget as such: a pixel more than the budget allows, and it is left out."""
    data = jpeg_of(size)
    copy, pixels = evidence.print_copy(data, budget=decoded)
    assert pixels == decoded
    with Image.open(io.BytesIO(copy)) as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == printed
    assert evidence.print_copy(data, budget=decoded - 1) == (None, 0)


def test_a_transparent_screenshot_prints_on_white_and_its_colours_stay():
    """See-through pixels print as the paper's white, not as the black (or any colour) they hold beneath;
    what is opaque keeps its colour."""
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (60, 0, 120, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    copy, pixels = evidence.print_copy(buffer.getvalue(), budget=120 * 80)
    assert pixels == 120 * 80
    with Image.open(io.BytesIO(copy)) as printed:
        assert printed.format == "JPEG" and printed.mode == "RGB" and printed.size == (120, 80)
        assert all(value >= 245 for value in printed.getpixel((20, 40)))
        red, green, blue = printed.getpixel((100, 40))
        assert red >= 185 and green <= 45 and blue <= 45


def test_the_print_copy_is_a_jpeg_of_quality_90():
    """Pillow's default (75) blurs a photographed chat's small letters on paper: the copy carries the
    quantisation tables of 90."""
    copy, _ = evidence.print_copy(jpeg_of((400, 300)), budget=400 * 300)
    reference = io.BytesIO()
    Image.new("RGB", (8, 8)).save(reference, "JPEG", quality=90)
    with Image.open(io.BytesIO(copy)) as printed, Image.open(reference) as at_90:
        assert printed.quantization == at_90.quantization


def test_a_stored_file_that_is_no_picture_prints_nothing_and_costs_nothing():
    assert evidence.print_copy(b"%PDF-1.7 not a picture", budget=10 ** 6) == (None, 0)


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "../" + "0" * 32 + ".png", "0" * 32 + ".png/../../herstel.db", "0" * 32 + ".gif",
    "0" * 31 + ".png", "", None])
def test_a_stored_file_is_looked_up_only_by_a_name_herstel_made(app_context, name):
    """No `../` games: a name that is not 32 hex digits and our extension is refused, and says which."""
    with pytest.raises(ValueError, match="^%s$" % re.escape("not a stored evidence file name: %r" % (name,))):
        evidence.path_of(name)


def test_a_name_herstel_made_is_a_file_in_the_evidence_folder(app_context):
    name = "0123456789abcdef" * 2 + ".pdf"
    assert evidence.path_of(name) == os.path.join(app_context.config["EVIDENCE_DIR"], name)
