"""Draw Foresight's brand images (icon.png, icon@2x.png, logo.png) with Pillow.

Run with .venv/bin/python scripts/make_brand_images.py; the PNGs are committed.
"""

import itertools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = Path(__file__).parents[1] / "custom_components" / "foresight" / "brand"
BACKGROUND = (32, 54, 92)
PAST = (255, 255, 255)
FUTURE = (255, 196, 61)
BAND = (255, 196, 61, 90)


def draw_icon(size: int) -> Image.Image:
    """A rounded tile: a solid line for the past, a dashed line in a band for the forecast."""
    scale = size / 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image, "RGBA")
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=int(48 * scale), fill=BACKGROUND)

    def point(x: float, y: float) -> tuple[float, float]:
        return (x * scale, y * scale)

    past = [point(*p) for p in ((28, 170), (62, 140), (92, 158), (128, 108))]
    future = [(128, 108), (164, 88), (196, 112), (228, 70)]
    upper = [point(x, y - 10 - 14 * i) for i, (x, y) in enumerate(future)]
    lower = [point(x, y + 10 + 14 * i) for i, (x, y) in enumerate(future)]
    draw.polygon(upper + lower[::-1], fill=BAND)
    width = max(2, int(12 * scale))
    draw.line(past, fill=PAST, width=width, joint="curve")
    future_points = [point(*p) for p in future]
    for start, end in itertools.pairwise(future_points):
        for step in range(0, 10, 2):
            a = step / 10
            b = (step + 1) / 10
            draw.line(
                [
                    (start[0] + (end[0] - start[0]) * a, start[1] + (end[1] - start[1]) * a),
                    (start[0] + (end[0] - start[0]) * b, start[1] + (end[1] - start[1]) * b),
                ],
                fill=FUTURE,
                width=width,
            )
    radius = 10 * scale
    cx, cy = point(128, 108)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=FUTURE)
    return image


def draw_logo(height: int) -> Image.Image:
    """The icon followed by the name."""
    icon = draw_icon(height)
    font = ImageFont.load_default(size=int(height * 0.55))
    text_width = int(ImageDraw.Draw(icon).textlength("Foresight", font=font))
    logo = Image.new("RGBA", (height + int(height * 0.2) + text_width, height), (0, 0, 0, 0))
    logo.paste(icon, (0, 0))
    ImageDraw.Draw(logo).text(
        (height + int(height * 0.2), height // 2),
        "Foresight",
        font=font,
        fill=BACKGROUND,
        anchor="lm",
    )
    return logo


def main() -> None:
    """Write the brand images."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(BRAND_DIR / "icon.png")
    draw_icon(512).save(BRAND_DIR / "icon@2x.png")
    draw_logo(256).save(BRAND_DIR / "logo.png")


if __name__ == "__main__":
    main()
