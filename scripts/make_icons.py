"""Draw Terrain's app icons (PNG) from the same shapes as static/icons/favicon.svg.

Run once after changing the design: `.venv/bin/python scripts/make_icons.py`.
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
TEAL, WHITE, AMBER = (31, 78, 95), (255, 255, 255), (240, 165, 0)


def draw(size: int, maskable: bool) -> Image.Image:
    """The mountain-and-sun mark; maskable icons keep it inside the central safe zone."""
    img = Image.new("RGB", (size, size), TEAL) if maskable else Image.new("RGBA", (size, size))
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=TEAL)
    inset = 0.2 if maskable else 0.08  # the safe zone of a maskable icon is the inner 80 %
    scale = lambda x, y: (size * (inset + (1 - 2 * inset) * x / 28),  # noqa: E731
                          size * (inset + (1 - 2 * inset) * y / 28))
    d.polygon([scale(3, 22), scale(10, 10), scale(15, 16), scale(19, 12), scale(25, 22)],
              fill=WHITE)
    cx, cy = scale(20, 7)
    r = size * (1 - 2 * inset) * 2.5 / 28
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=AMBER)
    return img


if __name__ == "__main__":
    draw(192, False).save(OUT / "icon-192.png", optimize=True)
    draw(512, False).save(OUT / "icon-512.png", optimize=True)
    draw(512, True).save(OUT / "icon-maskable-512.png", optimize=True)
    print("icons written to", OUT)
