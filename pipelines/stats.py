"""Intervals and comparisons for rates. Never computed on suppressed cells."""
from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(numerator: int, denominator: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion: sound near 0 and 1 and for small groups."""
    if not denominator or numerator < 0 or numerator > denominator:
        return None
    p = numerator / denominator
    centre = p + z * z / (2 * denominator)
    spread = z * math.sqrt(p * (1 - p) / denominator + z * z / (4 * denominator * denominator))
    scale = 1 + z * z / denominator
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def rate_ratio(a: int, n1: int, b: int, n2: int, z: float = Z95) -> tuple[float, float, float] | None:
    """Ratio of group rate a/n1 to comparison rate b/n2, with a 95% CI on the log scale (Katz)."""
    if min(a, b) <= 0 or min(n1, n2) <= 0:
        return None
    ratio = (a / n1) / (b / n2)
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / b - 1 / n2, 0.0))
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se)
