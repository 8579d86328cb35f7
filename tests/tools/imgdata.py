"""Tiny image data sets for the tests of the image tasks, written with the
standard library only: PNGs (zlib + struct, 8-bit grayscale) in the
Omniglot layout, and MNIST-style IDX files, raw or gzip-compressed.

Each class is a few random strokes; its images are that drawing shifted by
up to a pixel with a few pixels flipped, so classes can be told apart and
a few iterations of training already do better than chance.
"""
import gzip
import os
import random
import struct
import zlib


def png_bytes(width, height, rows):
    """A valid 8-bit grayscale PNG; rows: height lists of width ints 0-255."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes(r) for r in rows)   # filter type 0 per row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def class_drawing(rng, size, strokes=3):
    """A set of (y, x) stroke pixels: a few random straight strokes."""
    pts = set()
    for _ in range(strokes):
        y0, x0 = rng.randrange(3, size - 3), rng.randrange(3, size - 3)
        y1, x1 = rng.randrange(3, size - 3), rng.randrange(3, size - 3)
        n = max(abs(y1 - y0), abs(x1 - x0), 1)
        for i in range(n + 1):
            y = y0 + (y1 - y0) * i // n
            x = x0 + (x1 - x0) * i // n
            pts.add((y, x))
            pts.add((y, min(x + 1, size - 1)))
    return pts


def instance(rng, drawing, size, flips=6):
    """One drawing of a class: shifted by up to a pixel, a few pixels flipped;
    dark strokes (0) on white (255) as in Omniglot."""
    dy, dx = rng.randint(-1, 1), rng.randint(-1, 1)
    img = [[255] * size for _ in range(size)]
    for y, x in drawing:
        yy, xx = y + dy, x + dx
        if 0 <= yy < size and 0 <= xx < size:
            img[yy][xx] = 0
    for _ in range(flips):
        y, x = rng.randrange(size), rng.randrange(size)
        img[y][x] = 255 - img[y][x]
    return img


def make_omniglot(root, groups=("Alpha", "Beta"), classes=6, images=6, size=28,
                  seed=0):
    """root/<group>/character<NN>/<id>_<drawer>.png, as Omniglot ships."""
    rng = random.Random(seed)
    for g in groups:
        for c in range(1, classes + 1):
            d = os.path.join(root, g, f"character{c:02d}")
            os.makedirs(d)
            drawing = class_drawing(rng, size)
            for i in range(1, images + 1):
                with open(os.path.join(d, f"{c:02d}{i:02d}_{i:02d}.png"), "wb") as f:
                    f.write(png_bytes(size, size, instance(rng, drawing, size)))
    return root


def write_idx(images_path, labels_path, n_classes=8, per_class=8, size=28, gz=False,
              seed=1):
    """MNIST-style files: unsigned bytes, strokes bright (255) on dark (0)."""
    rng = random.Random(seed)
    pixels, labels = bytearray(), bytearray()
    drawings = [class_drawing(rng, size) for _ in range(n_classes)]
    order = [c for c in range(n_classes) for _ in range(per_class)]
    rng.shuffle(order)
    for c in order:
        img = instance(rng, drawings[c], size)
        pixels += bytes(255 - v for row in img for v in row)
        labels.append(c)
    n = len(order)
    data_i = struct.pack(">IIII", 0x00000803, n, size, size) + bytes(pixels)
    data_l = struct.pack(">II", 0x00000801, n) + bytes(labels)
    opener = gzip.open if gz else open
    with opener(images_path, "wb") as f:
        f.write(data_i)
    with opener(labels_path, "wb") as f:
        f.write(data_l)
