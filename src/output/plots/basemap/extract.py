#!/usr/bin/env python3
"""Writes region.txt, the basemap of the corridor map, from world-atlas TopoJSON.

Offline and run by hand, never at build or run time:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python3 src/output/plots/basemap/extract.py /tmp/package/countries-50m.json \
        > src/output/plots/basemap/region.txt

Decodes the quantized, delta-encoded arcs; simplifies each arc once with Douglas-Peucker
(shared borders stay shared); assembles every country's rings and clips them to the box
(Sutherland-Hodgman); keeps the arcs inside the box as lines, a `border` when two countries
share the arc, a `coast` when one country has it (sea and lake shores: Caspian, Black Sea,
Aral). Coordinates are degrees with two decimals (about 1 km).
"""
import json
import sys

BOX = (26.0, 30.0, 102.0, 56.0)  # lon0, lat0, lon1, lat1
TOL = 0.03  # degrees, Douglas-Peucker tolerance (about 3 km)


def decode(topo):
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def dp(pts, tol):
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x0, y0), (x1, y1) = pts[a], pts[b]
        dx, dy = x1 - x0, y1 - y0
        n = (dx * dx + dy * dy) ** 0.5
        best, bi = -1.0, -1
        for i in range(a + 1, b):
            px, py = pts[i]
            d = abs(dy * (px - x0) - dx * (py - y0)) / n if n > 0 else ((px - x0) ** 2 + (py - y0) ** 2) ** 0.5
            if d > best:
                best, bi = d, i
        if bi >= 0 and best > tol:
            keep[bi] = True
            stack += [(a, bi), (bi, b)]
    return [p for p, k in zip(pts, keep) if k]


def ring(arcs, idx):
    out = []
    for i in idx:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(a if not out else a[1:])
    return out


def clip(poly, box):
    lon0, lat0, lon1, lat1 = box
    edges = [
        (lambda p: p[0] >= lon0, lambda a, b: cut_x(a, b, lon0)),
        (lambda p: p[0] <= lon1, lambda a, b: cut_x(a, b, lon1)),
        (lambda p: p[1] >= lat0, lambda a, b: cut_y(a, b, lat0)),
        (lambda p: p[1] <= lat1, lambda a, b: cut_y(a, b, lat1)),
    ]
    for inside, cut in edges:
        if not poly:
            break
        out = []
        prev = poly[-1]
        for p in poly:
            if inside(p):
                if not inside(prev):
                    out.append(cut(prev, p))
                out.append(p)
            elif inside(prev):
                out.append(cut(prev, p))
            prev = p
        poly = out
    return poly


def cut_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def cut_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def inside(p, box):
    return box[0] <= p[0] <= box[2] and box[1] <= p[1] <= box[3]


def fmt(pts):
    out, last = [], None
    for x, y in pts:
        s = f"{x:.2f} {y:.2f}"
        if s != last:
            out.append(s)
        last = s
    return " ".join(out)


def main():
    topo = json.load(open(sys.argv[1]))
    arcs = [dp(a, TOL) for a in decode(topo)]
    users = {}
    lines = []
    for g in topo["objects"]["countries"]["geometries"]:
        name = g.get("properties", {}).get("name", "?")
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        for poly in polys:
            for k, r in enumerate(poly):
                for i in r:
                    users.setdefault(i if i >= 0 else ~i, set()).add(name)
                pts = clip(ring(arcs, r), BOX)
                if len(pts) >= 3:
                    kind = "land" if k == 0 else "hole"
                    lines.append(f"{kind}\t{name}\t{fmt(pts)}")
    for i, a in enumerate(arcs):
        kind = "border" if len(users.get(i, ())) > 1 else "coast"
        run = []
        for p in a + [None]:
            if p is not None and inside(p, BOX):
                run.append(p)
                continue
            if len(run) >= 2:
                lines.append(f"{kind}\t-\t{fmt(run)}")
            run = [] if p is None else []
    print("# Basemap of the corridor map: Natural Earth 1:50m admin-0 countries (public domain),")
    print("# via world-atlas 2.0.2 (ISC), countries-50m.json; see LICENSE. Written by extract.py:")
    print(f"# box lon {BOX[0]}..{BOX[2]} lat {BOX[1]}..{BOX[3]}, Douglas-Peucker {TOL} degrees.")
    print("# One record a line: kind TAB name TAB lon lat lon lat ... (degrees).")
    print("# kinds: land (outer ring, clipped to the box), hole (inner ring), border, coast.")
    print(f"box\t-\t{BOX[0]} {BOX[1]} {BOX[2]} {BOX[3]}")
    for l in lines:
        print(l)


main()
