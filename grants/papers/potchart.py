"""The pot chart as a PNG, drawn in pure Python: each pot's allocated, committed, spent and free money.

No plotting stack: bars and gridlines are filled rectangles, the words a 5×7 bitmap font, and the
PNG is written with zlib. The workbook's native chart shows the same four figures (POT_SERIES).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

from grants.money import Money
from grants.pots import PotFigures

# The figures each pot's chart shows, in order, with their labels: declared once for the picture
# in the papers and the workbook's native chart (Free: allocated less committed).
POT_SERIES = (
    ("allocated", "Allocated"),
    ("committed", "Committed"),
    ("spent", "Spent"),
    ("free", "Free"),
)
# Blue, orange, green, grey: never purple, which the papers keep for funded actions.
SERIES_COLOURS = ((0x1F, 0x4E, 0x79), (0xED, 0x7D, 0x31), (0x70, 0xAD, 0x47), (0xA5, 0xA5, 0xA5))
INK = (0x26, 0x26, 0x26)
GRID = (0xD9, 0xD9, 0xD9)
WHITE = (0xFF, 0xFF, 0xFF)

_GLYPHS = {
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "####. ....# ....# .###. ....# ....# ####.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "£": "..##. .#..# .#... ###.. .#... .#... #####",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "/": "....# ...#. ...#. ..#.. .#... .#... #....",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "%": "##..# ##.#. ...#. ..#.. .#... .#.## #..##",
}
GLYPHS = {ch: [row for row in rows.split()] for ch, rows in _GLYPHS.items()}


class Canvas:
    """An RGB picture to draw rectangles and bitmap text on, then write as a PNG."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * (width * height))

    def fill(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        line = bytes(colour) * (x1 - x0)
        for row in range(y0, y1):
            start = (row * self.width + x0) * 3
            self.pixels[start : start + len(line)] = line

    @staticmethod
    def text_width(text: str, scale: int) -> int:
        return max(0, len(text) * 6 * scale - scale)

    def text(self, x: int, y: int, text: str, scale: int = 2, colour: tuple[int, int, int] = INK) -> None:
        for index, ch in enumerate(text.upper()):
            glyph = GLYPHS.get(ch)
            if glyph is None:
                continue
            left = x + index * 6 * scale
            for gy, row in enumerate(glyph):
                for gx, bit in enumerate(row):
                    if bit == "#":
                        self.fill(left + gx * scale, y + gy * scale, scale, scale, colour)

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self.pixels[row * stride : (row + 1) * stride]) for row in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def grid_step(top: int) -> int:
    """A round gridline step (1, 2 or 5 × a power of ten pence) giving at most five lines."""
    step = 100
    while True:
        for factor in (1, 2, 5):
            if top <= step * factor * 5:
                return step * factor
        step *= 10


def bar_chart(groups: Sequence[str], values: Sequence[Sequence[int]], series: Sequence[str]) -> bytes:
    """Grouped bars: one group per name, one bar per series; `values[g][s]` in pence."""
    width, height = 1200, 560
    left, right, top, bottom = 150, 30, 90, 70
    canvas = Canvas(width, height)
    # The legend, across the top.
    x = left
    for name, colour in zip(series, SERIES_COLOURS, strict=False):
        canvas.fill(x, 30, 24, 24, colour)
        canvas.text(x + 34, 32, name, 3)
        x += 34 + canvas.text_width(name, 3) + 50
    plot_h = height - top - bottom
    highest = max([v for group in values for v in group] + [0])
    step = grid_step(max(highest, 1))
    ceiling = step * max(1, -(-highest // step))
    for line in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * line // ceiling
        canvas.fill(left, y, width - left - right, 2, GRID if line else INK)
        label = str(Money(line))
        canvas.text(left - 14 - canvas.text_width(label, 2), y - 7, label, 2)
    group_w = (width - left - right) // max(1, len(groups))
    bar_w = min(110, (group_w - 40) // max(1, len(series)))
    for g, (name, group) in enumerate(zip(groups, values, strict=True)):
        start = left + g * group_w + (group_w - bar_w * len(series)) // 2
        for s, value in enumerate(group):
            h = plot_h * max(0, value) // ceiling
            x = start + s * bar_w
            canvas.fill(x + 4, top + plot_h - h, bar_w - 8, h, SERIES_COLOURS[s % len(SERIES_COLOURS)])
            label = str(Money(value))
            canvas.text(x + (bar_w - canvas.text_width(label, 2)) // 2, top + plot_h - h - 20, label, 2)
        label_x = left + g * group_w + (group_w - canvas.text_width(name, 3)) // 2
        canvas.text(label_x, height - bottom + 20, name, 3)
    return canvas.png()


def pot_chart(pots: Sequence[PotFigures]) -> bytes:
    """Each pot's allocated, committed, spent and free money, as a PNG."""
    return bar_chart(
        [f"{f.kind.value} pot" for f in pots],
        [[getattr(f, field).pence for field, _ in POT_SERIES] for f in pots],
        [label for _, label in POT_SERIES],
    )
