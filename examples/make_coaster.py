#!/usr/bin/env python3
"""Writes coaster.gcode: the small real part `lockstep run` prints by default.

A 24 mm round coaster with an 8 mm hole, 2 mm tall, sliced the way a
slicer would (0.2 mm layers, two perimeters round the outside and the hole,
solid bottom and top, 25 % infill, retraction on travel), for the example
RAMPS printer (1.75 mm filament, 0.4 mm nozzle). Kept as a generator so the
part can be changed and re-made: python3 examples/make_coaster.py."""
import math

CX, CY = 100.0, 100.0
R_OUT, R_IN = 12.0, 4.0
LAYER, LAYERS = 0.2, 10
WIDTH = 0.45
SOLID = 3  # bottom and top layers
E_PER_MM = LAYER * WIDTH / (math.pi * (1.75 / 2) ** 2)

out = []
e_pos = [0.0]
pos = [0.0, 0.0]


def emit(s):
    out.append(s)


def travel(x, y, retract=True):
    if retract:
        emit("G1 E-0.8 F2100")
    emit(f"G1 X{x:.3f} Y{y:.3f} F9000")
    if retract:
        emit("G1 E0.8 F2100")
    pos[:] = [x, y]


def extrude_to(x, y, f):
    d = math.hypot(x - pos[0], y - pos[1])
    emit(f"G1 X{x:.3f} Y{y:.3f} E{d * E_PER_MM:.5f} F{f}")
    pos[:] = [x, y]


def circle(r, f, segments=48):
    travel(CX + r, CY)
    for i in range(1, segments + 1):
        a = 2 * math.pi * i / segments
        extrude_to(CX + r * math.cos(a), CY + r * math.sin(a), f)


def infill(spacing, angle, lo, hi, f):
    """Lines at `angle` across the ring between radii lo and hi."""
    ca, sa = math.cos(angle), math.sin(angle)
    n = int(hi / spacing)
    flip = False
    for k in range(-n, n + 1):
        c = k * spacing
        if abs(c) >= hi:
            continue
        xo = math.sqrt(hi * hi - c * c)
        spans = [(-xo, xo)]
        if abs(c) < lo:
            xi = math.sqrt(lo * lo - c * c)
            spans = [(-xo, -xi), (xi, xo)]
        if flip:
            spans = [(b, a) for a, b in reversed(spans)]
        flip = not flip
        for a, b in spans:
            # u along the line, c across it; rotate into the bed's frame.
            x0, y0 = CX + a * ca - c * sa, CY + a * sa + c * ca
            x1, y1 = CX + b * ca - c * sa, CY + b * sa + c * ca
            travel(x0, y0, retract=math.hypot(x0 - pos[0], y0 - pos[1]) > 2.0)
            extrude_to(x1, y1, f)


emit("; coaster.gcode: written by examples/make_coaster.py for examples/printer-ramps.cfg")
emit("; a 24 mm round coaster with an 8 mm hole, 2 mm tall, 0.2 mm layers")
emit("M140 S60")
emit("M104 S200")
emit("G28")
emit("M190 S60")
emit("M109 S200")
emit("G90")
emit("M83")
emit("G1 Z0.2 F600")
pos[:] = [0.0, 0.0]
emit("G1 X60 Y80 F9000")
pos[:] = [60.0, 80.0]
emit("; prime line")
extrude_to(60.0, 120.0, 1200)
for layer in range(LAYERS):
    z = LAYER * (layer + 1)
    emit(f";LAYER:{layer}")
    if layer:
        emit(f"G1 Z{z:.2f} F600")
    slow = 1200 if layer == 0 else 2400
    emit("M106 S255" if layer == 1 else "; fan stays as it is")
    for r in (R_OUT - WIDTH / 2, R_OUT - 1.5 * WIDTH):
        circle(r, slow)
    for r in (R_IN + WIDTH / 2, R_IN + 1.5 * WIDTH):
        circle(r, slow)
    solid = layer < SOLID or layer >= LAYERS - SOLID
    infill(WIDTH if solid else WIDTH / 0.25, math.pi / 4 if layer % 2 else -math.pi / 4,
           R_IN + 2 * WIDTH, R_OUT - 2 * WIDTH, slow if solid else 3600)
emit("G1 E-0.8 F2100")
emit("G91")
emit("G1 Z10 F600")
emit("G90")
emit("G1 X10 Y190 F9000")
emit("M107")
emit("M104 S0")
emit("M140 S0")
emit("M84")
with open(__file__.replace("make_coaster.py", "coaster.gcode"), "w") as f:
    f.write("\n".join(out) + "\n")
