"""Pictures of several runs side by side: the same sample's montage from each run (two
networks, two configs), each under a heading that names its run."""

import numpy as np
from PIL import Image, ImageDraw

from .canvas import font

__all__ = ["GAP", "side_by_side"]

GAP = 24  # px between two pictures, at zoom 1


def side_by_side(pictures, headings, zoom=2):
    """``pictures`` (PIL images, "L" or "RGB") left to right on white paper, each under its
    heading (one line of text); an image of the tallest picture's height plus the heading's.
    Returns "L" if every picture is gray, else "RGB"."""
    if len(pictures) != len(headings):
        raise ValueError(f"{len(pictures)} pictures but {len(headings)} headings")
    mode = "L" if all(p.mode == "L" for p in pictures) else "RGB"
    text_font = font(12 * zoom)
    line = int(np.ceil(text_font.size * 1.5))
    gap = GAP * zoom
    width = sum(p.width for p in pictures) + gap * (len(pictures) + 1)
    height = max(p.height for p in pictures) + line + 2 * gap
    out = Image.new(mode, (width, height), 255 if mode == "L" else (255, 255, 255))
    draw = ImageDraw.Draw(out)
    x = gap
    for picture, heading in zip(pictures, headings):
        draw.text((x, gap), heading, fill=0 if mode == "L" else (0, 0, 0), font=text_font)
        out.paste(picture.convert(mode), (x, gap + line))
        x += picture.width + gap
    return out
