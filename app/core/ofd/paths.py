"""OFD's abbreviated path data (GB/T 33190 §9.3.2) as PDF path operators.

Commands: S/M move, L line, Q quadratic, B cubic, A elliptic arc (SVG-style: rx ry angle large sweep x y),
C and Z close. Numbers after a command without a new letter repeat it, as in SVG. Points are transformed by
`matrix` (so clip areas with their own CTM can share the current transform). Arcs become cubic curves.
"""

from __future__ import annotations

import math

from .walk import Matrix, apply

ARGS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0, "Z": 0}
MAX_TOKENS = 2_000_000


def fmt(value: float) -> str:
    """A number for a PDF content stream (0.0001 mm is far below a device pixel)."""
    return f"{value:.4f}"


def _arc_to_beziers(x0: float, y0: float, rx: float, ry: float, angle: float, large: bool, sweep: bool,
                    x: float, y: float) -> list[tuple[float, ...]]:
    """SVG endpoint arc → cubic segments (each (c1x, c1y, c2x, c2y, x, y)); a line when degenerate."""
    if rx == 0 or ry == 0 or (x0 == x and y0 == y):
        return [(x0, y0, x, y, x, y)]
    rx, ry = abs(rx), abs(ry)
    phi = math.radians(angle)
    cos_p, sin_p = math.cos(phi), math.sin(phi)
    dx, dy = (x0 - x) / 2, (y0 - y) / 2
    x1p, y1p = cos_p * dx + sin_p * dy, -sin_p * dx + cos_p * dy
    lam = (x1p / rx) ** 2 + (y1p / ry) ** 2
    if lam > 1:
        rx, ry = rx * math.sqrt(lam), ry * math.sqrt(lam)
    num = rx * rx * ry * ry - rx * rx * y1p * y1p - ry * ry * x1p * x1p
    den = rx * rx * y1p * y1p + ry * ry * x1p * x1p
    coef = math.sqrt(max(0.0, num / den)) if den else 0.0
    if large == sweep:
        coef = -coef
    cxp, cyp = coef * rx * y1p / ry, -coef * ry * x1p / rx
    cx = cos_p * cxp - sin_p * cyp + (x0 + x) / 2
    cy = sin_p * cxp + cos_p * cyp + (y0 + y) / 2

    def angle_of(ux: float, uy: float, vx: float, vy: float) -> float:
        a = math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)
        return a

    theta1 = angle_of(1, 0, (x1p - cxp) / rx, (y1p - cyp) / ry)
    delta = angle_of((x1p - cxp) / rx, (y1p - cyp) / ry, (-x1p - cxp) / rx, (-y1p - cyp) / ry)
    if not sweep and delta > 0:
        delta -= 2 * math.pi
    elif sweep and delta < 0:
        delta += 2 * math.pi
    segments = max(1, math.ceil(abs(delta) / (math.pi / 2)))
    step = delta / segments
    k = 4 / 3 * math.tan(step / 4)
    out = []
    t = theta1
    for _ in range(segments):
        c1, s1, c2, s2 = math.cos(t), math.sin(t), math.cos(t + step), math.sin(t + step)
        pts = [(c1 - k * s1, s1 + k * c1), (c2 + k * s2, s2 - k * c2), (c2, s2)]
        flat: list[float] = []
        for px, py in pts:
            ex, ey = rx * px, ry * py
            flat += [cos_p * ex - sin_p * ey + cx, sin_p * ex + cos_p * ey + cy]
        out.append(tuple(flat))
        t += step
    return out


def path_operators(data: str, matrix: Matrix | None = None) -> str:
    """PDF path construction operators for OFD path data; unreadable tokens end the path there."""
    tokens = data.replace(",", " ").split()[:MAX_TOKENS]
    ops: list[str] = []
    cmd = ""
    i = 0
    cx = cy = sx = sy = 0.0

    def pt(x: float, y: float) -> str:
        if matrix is not None:
            x, y = apply(matrix, x, y)
        return f"{fmt(x)} {fmt(y)}"

    while i < len(tokens):
        token = tokens[i]
        if token[0].isalpha():
            cmd = token.upper()
            i += 1
            if cmd in ("C", "Z"):
                ops.append("h")
                cx, cy = sx, sy
                continue
        count = ARGS.get(cmd)
        if not count:
            break
        try:
            args = [float(t) for t in tokens[i:i + count]]
        except ValueError:
            break
        if len(args) < count or any(not math.isfinite(a) for a in args):
            break
        i += count
        if cmd in ("S", "M"):
            cx, cy = sx, sy = args[0], args[1]
            ops.append(f"{pt(cx, cy)} m")
        elif cmd == "L":
            cx, cy = args
            ops.append(f"{pt(cx, cy)} l")
        elif cmd == "Q":
            qx, qy, x, y = args
            c1 = (cx + 2 / 3 * (qx - cx), cy + 2 / 3 * (qy - cy))
            c2 = (x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y))
            ops.append(f"{pt(*c1)} {pt(*c2)} {pt(x, y)} c")
            cx, cy = x, y
        elif cmd == "B":
            ops.append(f"{pt(args[0], args[1])} {pt(args[2], args[3])} {pt(args[4], args[5])} c")
            cx, cy = args[4], args[5]
        elif cmd == "A":
            for seg in _arc_to_beziers(cx, cy, args[0], args[1], args[2], args[3] != 0, args[4] != 0, args[5], args[6]):
                ops.append(f"{pt(seg[0], seg[1])} {pt(seg[2], seg[3])} {pt(seg[4], seg[5])} c")
            cx, cy = args[5], args[6]
        if ops and not ops[0].endswith(" m"):
            ops.insert(0, f"{pt(0, 0)} m")  # a path must start with a move; OFD starts at the origin
    return "\n".join(ops)
