"""Reading images as 8-bit greyscale (PIL)."""
from __future__ import annotations

import numpy as np
from PIL import Image


def read_grey(path: str) -> np.ndarray:
    """Any PIL-readable image as a 2-D uint8 array (colour converted with PIL's 'L' weights)."""
    try:
        with Image.open(path) as im:
            if im.mode == "I;16" or im.mode == "I;16B" or im.mode == "I":
                a = np.asarray(im, dtype=np.float64)
                return np.clip(np.floor(a / 257.0 + 0.5), 0, 255).astype(np.uint8)
            return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read image {path}: {e}") from e
