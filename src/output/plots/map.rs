//! The corridor map of one scenario in one year: nodes at their longitude/latitude (from
//! `nodes.csv`), labelled; links (from `links.csv`) drawn with a width by TEU carried and
//! a colour by utilization, over a basemap of real coastlines and borders (Natural Earth,
//! see `basemap`) in a Lambert conformal conic projection. When the Caucasus and the
//! Caspian would be cramped in the overview, they get an enlarged panel below it. Labels
//! are placed around their node, clear of lines and of each other, with a halo (no boxes
//! over water). This module must never run the model.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::basemap::{EARTH_KM, STANDARD_PARALLELS, basemap, project_at, unproject_at};
use super::data::{Results, short_scenario_name};
use super::draw::{
    Chart as ChartTrait, DResult, INK, LABEL_SIZE, LEGEND_SIZE, LabelPlacer, MUTED, NO_DATA, OrMsg,
    Swatch, TICK_SIZE, TITLE_BAND, bold, draw_colour_bar, draw_legend, draw_title, font, text,
    text_size, viridis,
};
use super::format::{compact, thousands};
use super::throughput::{LEGEND_W, body, legend_note, min_max};
use super::{HEIGHT, WIDTH};
use crate::metrics::{Metric, Subject, SubjectKind};

#[derive(Debug, Clone, PartialEq)]
pub struct MapNode {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub lon: f64,
    pub lat: f64,
}

/// A link between two placed nodes, with its `carried_teu` and `utilization` means in the
/// map's year (NaN when not recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct MapLink {
    pub id: String,
    pub from: String,
    pub to: String,
    pub mode: String,
    pub carried_teu: f64,
    pub utilization: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapData {
    pub scenario: String,
    pub year: i32,
    pub nodes: Vec<MapNode>,
    pub links: Vec<MapLink>,
}

/// The map of `scenario` in `year` (default: its last recorded year). `None` when fewer
/// than two nodes have a position, or the scenario recorded nothing.
pub fn map_series(results: &Results, scenario: &str, year: Option<i32>) -> Option<MapData> {
    let nodes: Vec<MapNode> = results
        .nodes_of(scenario)
        .into_iter()
        .filter(|n| n.lat.is_finite() && n.lon.is_finite())
        .map(|n| MapNode {
            id: n.id.clone(),
            name: results.place_name(scenario, &n.id),
            kind: n.kind.clone(),
            lon: n.lon,
            lat: n.lat,
        })
        .collect();
    if nodes.len() < 2 {
        return None;
    }
    let year = match year {
        Some(y) => y,
        None => *results.years(scenario).last()?,
    };
    let placed = |id: &str| nodes.iter().any(|n| n.id == id);
    let links = results
        .links_of(scenario)
        .into_iter()
        .filter(|l| placed(&l.from) && placed(&l.to))
        .map(|l| {
            let subject = Subject::new(SubjectKind::Link, l.id.clone());
            let v = |m: Metric| {
                results
                    .get(scenario, m, &subject, year)
                    .map_or(f64::NAN, |r| r.mean)
            };
            MapLink {
                id: l.id.clone(),
                from: l.from.clone(),
                to: l.to.clone(),
                mode: l.mode.clone(),
                carried_teu: v(Metric::CarriedTeu),
                utilization: v(Metric::Utilization),
            }
        })
        .collect();
    Some(MapData {
        scenario: scenario.to_string(),
        year,
        nodes,
        links,
    })
}

const SEA: RGBColor = RGBColor(0xD6, 0xE6, 0xF2);
const LAND: RGBColor = RGBColor(0xF4, 0xF1, 0xEA);
const OUTSIDE: RGBColor = RGBColor(0xF7, 0xF7, 0xF7);
const BORDER: RGBColor = RGBColor(0xA8, 0x9F, 0x95);
const COAST: RGBColor = RGBColor(0x7F, 0xA3, 0xC2);
const SEA_INK: RGBColor = RGBColor(0x3A, 0x6E, 0x96);
const COUNTRY_INK: RGBColor = RGBColor(0x9A, 0x90, 0x86);
const CASING: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// The Caucasus–Caspian window: when at least three nodes lie in it and others outside,
/// they get an enlarged panel of their own (the overview alone would cram them).
pub const DETAIL_WINDOW: [f64; 4] = [36.0, 36.0, 57.0, 48.0];

/// Country names, where they are drawn (lon, lat) when there is room.
const COUNTRIES: [(&str, f64, f64); 12] = [
    ("KAZAKHSTAN", 66.0, 47.6),
    ("UZBEKISTAN", 63.0, 42.6),
    ("TURKMENISTAN", 58.5, 39.0),
    ("CHINA", 86.0, 41.2),
    ("KYRGYZSTAN", 74.5, 41.6),
    ("RUSSIA", 45.5, 46.6),
    ("IRAN", 53.5, 36.4),
    ("AZERBAIJAN", 47.6, 40.9),
    ("GEORGIA", 43.8, 42.25),
    ("ARMENIA", 44.7, 40.1),
    ("TÜRKIYE", 39.5, 39.6),
    ("MONGOLIA", 91.0, 47.5),
];

/// Seas' names (lon, lat).
const SEAS: [(&str, f64, f64); 2] = [("Caspian Sea", 50.9, 42.1), ("Black Sea", 38.6, 42.6)];

/// Line width of a link carrying `v` TEU when the busiest carries `max`: 2 to 20 px, by
/// the square root (area-like).
fn width_of(v: f64, max: f64) -> u32 {
    if v.is_finite() && v > 0.0 && max > 0.0 {
        (2.0 + 18.0 * (v / max).min(1.0).sqrt()).round() as u32
    } else {
        2
    }
}

/// A round number near `x` (two significant digits), for the width legend.
fn round2(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 0.0;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    (x / mag).round() * mag
}

/// A panel of the map: a pixel rectangle showing the projection around a centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapView {
    /// x0, y0, x1, y1 in canvas pixels.
    pub rect: [f64; 4],
    /// Projected centre (Earth radii) and pixels per Earth radius.
    centre: (f64, f64),
    k: f64,
    /// Central meridian of the panel's projection: its middle longitude, so north is up.
    pub meridian: f64,
}

impl MapView {
    /// The view of the box lon0, lat0, lon1, lat1 fitted into `rect` at one scale (the box
    /// grows along the axis the rectangle has room for).
    fn fit(rect: [f64; 4], b: [f64; 4]) -> MapView {
        let meridian = (b[0] + b[2]) / 2.0;
        let project = |lon, lat| project_at(meridian, lon, lat);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..=20 {
            let t = i as f64 / 20.0;
            for (lon, lat) in [
                (b[0] + (b[2] - b[0]) * t, b[1]),
                (b[0] + (b[2] - b[0]) * t, b[3]),
                (b[0], b[1] + (b[3] - b[1]) * t),
                (b[2], b[1] + (b[3] - b[1]) * t),
            ] {
                let (x, y) = project(lon, lat);
                xs.push(x);
                ys.push(y);
            }
        }
        let (x0, x1) = min_max(&xs).unwrap_or((0.0, 1.0));
        let (y0, y1) = min_max(&ys).unwrap_or((0.0, 1.0));
        let w = rect[2] - rect[0];
        let h = rect[3] - rect[1];
        let k = (w / (x1 - x0).max(1e-9)).min(h / (y1 - y0).max(1e-9));
        MapView {
            rect,
            centre: ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
            k,
            meridian,
        }
    }

    /// Canvas pixel of (lon, lat).
    pub fn px(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = project_at(self.meridian, lon, lat);
        let mx = (self.rect[0] + self.rect[2]) / 2.0;
        let my = (self.rect[1] + self.rect[3]) / 2.0;
        (
            mx + (x - self.centre.0) * self.k,
            my - (y - self.centre.1) * self.k,
        )
    }

    /// (lon, lat) of a canvas pixel.
    fn geo(&self, (px, py): (f64, f64)) -> (f64, f64) {
        let mx = (self.rect[0] + self.rect[2]) / 2.0;
        let my = (self.rect[1] + self.rect[3]) / 2.0;
        unproject_at(
            self.meridian,
            self.centre.0 + (px - mx) / self.k,
            self.centre.1 - (py - my) / self.k,
        )
    }

    pub fn contains(&self, (x, y): (f64, f64), margin: f64) -> bool {
        x >= self.rect[0] + margin
            && x <= self.rect[2] - margin
            && y >= self.rect[1] + margin
            && y <= self.rect[3] - margin
    }

    fn irect(&self) -> [i32; 4] {
        self.rect.map(|v| v.round() as i32)
    }

    /// Pixels per kilometre.
    fn px_per_km(&self) -> f64 {
        self.k / EARTH_KM
    }
}

/// Where the map is drawn: the overview of the whole network and, when the Caucasus and
/// the Caspian would be cramped in it, an enlarged panel of them below.
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayout {
    pub overview: MapView,
    pub detail: Option<MapView>,
}

/// A node's name as placed on the map: its label box in canvas pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLabel {
    pub text: String,
    pub rect: [i32; 4],
}

fn geo_box(nodes: &[&MapNode], pad_lon: f64, pad_lat: f64) -> Option<[f64; 4]> {
    let lons: Vec<f64> = nodes.iter().map(|n| n.lon).collect();
    let lats: Vec<f64> = nodes.iter().map(|n| n.lat).collect();
    let (a, b) = min_max(&lons)?;
    let (c, d) = min_max(&lats)?;
    let pl = ((b - a) * 0.04).max(pad_lon);
    let pa = ((d - c) * 0.08).max(pad_lat);
    Some([a - pl, c - pa, b + pl, d + pa])
}

impl MapData {
    /// The panels of this map on the 1600×900 canvas (below the title, left of the legend).
    pub fn layout(&self) -> MapLayout {
        let (x0, y0) = (10.0, TITLE_BAND as f64 + 6.0);
        let (x1, y1) = (
            (WIDTH as i32 - LEGEND_W) as f64 - 10.0,
            HEIGHT as f64 - 10.0,
        );
        let all: Vec<&MapNode> = self.nodes.iter().collect();
        let w = DETAIL_WINDOW;
        let inside: Vec<&MapNode> = self
            .nodes
            .iter()
            .filter(|n| n.lon >= w[0] && n.lon <= w[2] && n.lat >= w[1] && n.lat <= w[3])
            .collect();
        let full = geo_box(&all, 1.5, 1.5).unwrap_or([38.0, 35.0, 90.0, 50.0]);
        if inside.len() >= 3 && inside.len() < self.nodes.len() {
            let det = geo_box(&inside, 1.3, 1.0).unwrap_or(w);
            // The overview's height follows its shape, at most 40% of the area.
            let probe = MapView::fit([0.0, 0.0, 1000.0, 1000.0], full);
            let (a, b) = (probe.px(full[0], full[3]), probe.px(full[2], full[1]));
            let aspect = ((b.0 - a.0) / (b.1 - a.1).max(1.0)).max(1.0);
            let oh = ((x1 - x0) / aspect + 40.0).min((y1 - y0) * 0.4);
            let overview = MapView::fit([x0, y0, x1, y0 + oh], full);
            let detail = MapView::fit([x0, y0 + oh + 12.0, x1, y1], det);
            MapLayout {
                overview,
                detail: Some(detail),
            }
        } else {
            MapLayout {
                overview: MapView::fit([x0, y0, x1, y1], full),
                detail: None,
            }
        }
    }

    /// Where a node is labelled: in the enlarged panel when it shows the node, else in the
    /// overview.
    fn home(&self, lay: &MapLayout, lon: f64, lat: f64) -> MapView {
        match lay.detail {
            Some(d) if d.contains(d.px(lon, lat), 6.0) => d,
            _ => lay.overview,
        }
    }

    /// The canvas pixel where (lon, lat) is drawn with its name (see `home`).
    pub fn pixel_of(&self, lon: f64, lat: f64) -> (f64, f64) {
        let lay = self.layout();
        self.home(&lay, lon, lat).px(lon, lat)
    }

    /// The node names as placed (drawn on an SVG canvas that is thrown away).
    pub fn node_labels(&self) -> Vec<PlacedLabel> {
        super::register_fonts();
        let mut svg = String::new();
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_map(self, &root).unwrap_or_default()
    }

    /// The link labelled as the map's bottleneck: the highest utilization in the year.
    pub fn busiest_link(&self) -> Option<&MapLink> {
        self.links
            .iter()
            .filter(|l| l.utilization.is_finite())
            .fold(None, |best: Option<&MapLink>, l| match best {
                Some(b) if b.utilization >= l.utilization => Some(b),
                _ => Some(l),
            })
    }
}

// ----- clipping, in pixels

fn clip_polygon(poly: &[(f64, f64)], r: [f64; 4]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = poly.to_vec();
    for edge in 0..4 {
        if out.is_empty() {
            break;
        }
        let inside = |p: (f64, f64)| match edge {
            0 => p.0 >= r[0],
            1 => p.0 <= r[2],
            2 => p.1 >= r[1],
            _ => p.1 <= r[3],
        };
        let cut = |a: (f64, f64), b: (f64, f64)| {
            let (v, ia, ib) = match edge {
                0 => (r[0], a.0, b.0),
                1 => (r[2], a.0, b.0),
                2 => (r[1], a.1, b.1),
                _ => (r[3], a.1, b.1),
            };
            let t = if (ib - ia).abs() < 1e-12 {
                0.0
            } else {
                (v - ia) / (ib - ia)
            };
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        let input = std::mem::take(&mut out);
        let mut prev = input[input.len() - 1];
        for &p in &input {
            if inside(p) {
                if !inside(prev) {
                    out.push(cut(prev, p));
                }
                out.push(p);
            } else if inside(prev) {
                out.push(cut(prev, p));
            }
            prev = p;
        }
    }
    out
}

/// The part of segment a–b inside `r` (Liang–Barsky), if any.
fn clip_segment(a: (f64, f64), b: (f64, f64), r: [f64; 4]) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r[0]),
        (dx, r[2] - a.0),
        (-dy, a.1 - r[1]),
        (dy, r[3] - a.1),
    ] {
        if p.abs() < 1e-12 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

fn ipt(p: (f64, f64)) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

/// Draws a polyline clipped to `r`.
fn draw_clipped_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    pts: &[(f64, f64)],
    r: [f64; 4],
    style: ShapeStyle,
) -> DResult {
    let mut run: Vec<(i32, i32)> = Vec::new();
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((a, b)) => {
                let (a, b) = (ipt(a), ipt(b));
                if run.last() != Some(&a) {
                    if run.len() >= 2 {
                        root.draw(&PathElement::new(std::mem::take(&mut run), style))
                            .m()?;
                    }
                    run.clear();
                    run.push(a);
                }
                if run.last() != Some(&b) {
                    run.push(b);
                }
            }
            None => {
                if run.len() >= 2 {
                    root.draw(&PathElement::new(std::mem::take(&mut run), style))
                        .m()?;
                }
                run.clear();
            }
        }
    }
    if run.len() >= 2 {
        root.draw(&PathElement::new(run, style)).m()?;
    }
    Ok(())
}

/// Text with a thin white halo (readable on land, sea and lines alike, no box).
fn halo_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    h: i32,
    s: &str,
    f: &FontDesc<'_>,
    colour: RGBColor,
) -> DResult {
    let style = |c: &RGBColor| f.clone().color(c).pos(Pos::new(HPos::Left, VPos::Center));
    let cy = y + h / 2;
    for (dx, dy) in [
        (-2, 0),
        (2, 0),
        (0, -2),
        (0, 2),
        (-1, -1),
        (1, 1),
        (-1, 1),
        (1, -1),
    ] {
        root.draw(&Text::new(s.to_string(), (x + dx, cy + dy), style(&WHITE)))
            .m()?;
    }
    root.draw(&Text::new(s.to_string(), (x, cy), style(&colour)))
        .m()
}

/// Land, borders, coasts and a graticule in one view.
fn draw_basemap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, v: &MapView) -> DResult {
    let r = v.rect;
    let ir = v.irect();
    root.draw(&Rectangle::new(
        [(ir[0], ir[1]), (ir[2], ir[3])],
        OUTSIDE.filled(),
    ))
    .m()?;
    let b = basemap();
    // Sea over what the extract covers (outside it nothing is known), land on top.
    let mut cover = Vec::new();
    for i in 0..=40 {
        let t = i as f64 / 40.0;
        cover.push((b.bbox[0] + (b.bbox[2] - b.bbox[0]) * t, b.bbox[1]));
    }
    for i in 0..=40 {
        let t = i as f64 / 40.0;
        cover.push((b.bbox[2] - (b.bbox[2] - b.bbox[0]) * t, b.bbox[3]));
    }
    let fill = |pts: &[(f64, f64)], c: RGBColor| -> DResult {
        let px: Vec<(f64, f64)> = pts.iter().map(|&(lo, la)| v.px(lo, la)).collect();
        let clipped = clip_polygon(&px, r);
        if clipped.len() >= 3 {
            root.draw(&Polygon::new(
                clipped.into_iter().map(ipt).collect::<Vec<_>>(),
                c.filled(),
            ))
            .m()?;
        }
        Ok(())
    };
    fill(&cover, SEA)?;
    for (_, ring) in &b.land {
        fill(ring, LAND)?;
    }
    // Graticule every 5° (2° when zoomed in), under the lines.
    let step = if v.px_per_km() > 0.45 { 2.0 } else { 5.0 };
    let (g0, g1) = (v.geo((r[0], r[3])), v.geo((r[2], r[1])));
    let (gl0, gl1) = (v.geo((r[0], r[1])), v.geo((r[2], r[3])));
    let lon_lo = (g0.0.min(gl0.0) / step).floor() * step;
    let lon_hi = (g1.0.max(gl1.0) / step).ceil() * step;
    let lat_lo = (g0.1.min(gl1.1) / step).floor() * step - step;
    let lat_hi = (g1.1.max(gl0.1) / step).ceil() * step + step;
    let grid = RGBColor(0xB8, 0xC4, 0xCE).mix(0.6).stroke_width(1);
    let tf = font(TICK_SIZE - 6.0);
    let mut lon = lon_lo;
    while lon <= lon_hi + 1e-9 {
        let pts: Vec<(f64, f64)> = (0..=40)
            .map(|i| v.px(lon, lat_lo + (lat_hi - lat_lo) * i as f64 / 40.0))
            .collect();
        draw_clipped_line(root, &pts, r, grid)?;
        // Labelled where it meets the bottom edge.
        if let Some(p) = pts
            .windows(2)
            .filter_map(|w| clip_segment(w[0], w[1], r))
            .map(|(a, b)| if a.1 > b.1 { a } else { b })
            .find(|p| (p.1 - r[3]).abs() < 1.0 && p.0 > r[0] + 20.0 && p.0 < r[2] - 250.0)
        {
            root.draw(&Text::new(
                format!("{lon:.0}°E"),
                (p.0.round() as i32 + 3, ir[3] - 4),
                tf.clone()
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))
            .m()?;
        }
        lon += step;
    }
    let mut lat = lat_lo;
    while lat <= lat_hi + 1e-9 {
        let pts: Vec<(f64, f64)> = (0..=40)
            .map(|i| v.px(lon_lo + (lon_hi - lon_lo) * i as f64 / 40.0, lat))
            .collect();
        draw_clipped_line(root, &pts, r, grid)?;
        if let Some(p) = pts
            .windows(2)
            .filter_map(|w| clip_segment(w[0], w[1], r))
            .map(|(a, _)| a)
            .find(|p| (p.0 - r[0]).abs() < 1.0 && p.1 > r[1] + 20.0 && p.1 < r[3] - 20.0)
        {
            root.draw(&Text::new(
                format!("{lat:.0}°N"),
                (ir[0] + 4, p.1.round() as i32 - 2),
                tf.clone()
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))
            .m()?;
        }
        lat += step;
    }
    for c in &b.coasts {
        let px: Vec<(f64, f64)> = c.iter().map(|&(lo, la)| v.px(lo, la)).collect();
        draw_clipped_line(root, &px, r, COAST.stroke_width(1))?;
    }
    for c in &b.borders {
        let px: Vec<(f64, f64)> = c.iter().map(|&(lo, la)| v.px(lo, la)).collect();
        draw_clipped_line(root, &px, r, BORDER.stroke_width(2))?;
    }
    Ok(())
}

/// A scale bar of a round length, bottom right of the view.
fn draw_scale_bar<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, v: &MapView) -> DResult {
    let ppk = v.px_per_km();
    let km = [50.0, 100.0, 200.0, 250.0, 500.0, 1000.0]
        .into_iter()
        .rev()
        .find(|k| k * ppk <= 180.0)
        .unwrap_or(50.0);
    let len = (km * ppk).round() as i32;
    let ir = v.irect();
    let (x1, y) = (ir[2] - 20, ir[3] - 18);
    let x0 = x1 - len;
    root.draw(&Rectangle::new(
        [(x0 - 6, y - 30), (x1 + 6, y + 8)],
        WHITE.mix(0.7).filled(),
    ))
    .m()?;
    root.draw(&PathElement::new(
        vec![(x0, y - 6), (x0, y), (x1, y), (x1, y - 6)],
        INK.stroke_width(2),
    ))
    .m()?;
    root.draw(&Text::new(
        format!("{} km", thousands(km, 0)),
        ((x0 + x1) / 2, y - 8),
        text(TICK_SIZE - 6.0, INK, HPos::Center, VPos::Bottom),
    ))
    .m()
}

struct DrawnLink {
    a: (f64, f64),
    b: (f64, f64),
    w: u32,
    label: String,
    busiest: bool,
    view: MapView,
    /// The view that labels it: the detail when both its ends are named there.
    home: MapView,
}

/// Draws the links and nodes of one view; returns the link segments drawn (clipped).
fn draw_network<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &MapData,
    lay: &MapLayout,
    v: &MapView,
    max_teu: f64,
    busiest: Option<&str>,
) -> Result<Vec<DrawnLink>, String> {
    let node = |id: &str| m.nodes.iter().find(|n| n.id == id);
    let mut drawn = Vec::new();
    let zoom = v.px_per_km() > 0.45;
    for (i, l) in m.links.iter().enumerate() {
        let (Some(na), Some(nb)) = (node(&l.from), node(&l.to)) else {
            continue;
        };
        let (a, b) = (v.px(na.lon, na.lat), v.px(nb.lon, nb.lat));
        let same =
            |o: &MapLink| (o.from == l.from && o.to == l.to) || (o.from == l.to && o.to == l.from);
        let group: Vec<usize> = (0..m.links.len()).filter(|&j| same(&m.links[j])).collect();
        let k = group.iter().position(|&j| j == i).unwrap_or(0) as f64;
        let w = width_of(l.carried_teu, max_teu);
        let w = if zoom { w } else { (w * 2).div_ceil(3).max(2) };
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let off = (k - (group.len() as f64 - 1.0) / 2.0) * if zoom { 26.0 } else { 16.0 };
        let (ox, oy) = (-dy / len * off, dx / len * off);
        let (a, b) = ((a.0 + ox, a.1 + oy), (b.0 + ox, b.1 + oy));
        let Some((ca, cb)) = clip_segment(a, b, v.rect) else {
            continue;
        };
        let colour = if l.utilization.is_finite() {
            viridis(l.utilization)
        } else {
            NO_DATA
        };
        root.draw(&PathElement::new(
            vec![ipt(ca), ipt(cb)],
            CASING.stroke_width(w + 3),
        ))
        .m()?;
        root.draw(&PathElement::new(
            vec![ipt(ca), ipt(cb)],
            colour.stroke_width(w),
        ))
        .m()?;
        let label = if l.carried_teu.is_finite() {
            let mut s = format!("{} TEU", compact(l.carried_teu));
            if l.utilization.is_finite() {
                s.push_str(&format!(" · {:.0}%", l.utilization * 100.0));
            }
            s
        } else {
            "no data".to_string()
        };
        drawn.push(DrawnLink {
            a: ca,
            b: cb,
            w,
            label,
            busiest: busiest == Some(l.id.as_str()),
            view: *v,
            home: match lay.detail {
                Some(d) if m.home(lay, na.lon, na.lat) == d && m.home(lay, nb.lon, nb.lat) == d => {
                    d
                }
                _ => lay.overview,
            },
        });
    }
    let r = if zoom { 9 } else { 7 };
    for n in &m.nodes {
        let p = v.px(n.lon, n.lat);
        if !v.contains(p, 0.0) {
            continue;
        }
        let p = ipt(p);
        if n.kind == "port" {
            let b = [(p.0 - r, p.1 - r), (p.0 + r, p.1 + r)];
            root.draw(&Rectangle::new(b, WHITE.filled())).m()?;
            root.draw(&Rectangle::new(b, INK.stroke_width(3))).m()?;
        } else {
            root.draw(&Circle::new(p, r, WHITE.filled())).m()?;
            root.draw(&Circle::new(p, r, INK.stroke_width(3))).m()?;
        }
    }
    Ok(drawn)
}

/// Draws the whole map; returns the node labels as placed.
fn draw_map<DB: DrawingBackend>(
    m: &MapData,
    root: &DrawingArea<DB, Shift>,
) -> Result<Vec<PlacedLabel>, String> {
    let lay = m.layout();
    let views: Vec<MapView> = std::iter::once(lay.overview).chain(lay.detail).collect();
    let max_teu = m
        .links
        .iter()
        .map(|l| l.carried_teu)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let busiest = m.busiest_link().map(|l| l.id.clone());
    let mut drawn = Vec::new();
    for v in &views {
        draw_basemap(root, v)?;
        drawn.push(draw_network(root, m, &lay, v, max_teu, busiest.as_deref())?);
    }
    // The detail's extent, outlined in the overview.
    if let Some(d) = lay.detail {
        let o = lay.overview;
        let r = d.rect;
        let mut ring = Vec::new();
        for i in 0..=10 {
            let t = i as f64 / 10.0;
            ring.push((r[0] + (r[2] - r[0]) * t, r[1]));
        }
        for i in 0..=10 {
            let t = i as f64 / 10.0;
            ring.push((r[2], r[1] + (r[3] - r[1]) * t));
        }
        for i in 0..=10 {
            let t = i as f64 / 10.0;
            ring.push((r[2] - (r[2] - r[0]) * t, r[3]));
        }
        for i in 0..=10 {
            let t = i as f64 / 10.0;
            ring.push((r[0], r[3] - (r[3] - r[1]) * t));
        }
        let px: Vec<(f64, f64)> = ring
            .into_iter()
            .map(|p| {
                let g = d.geo(p);
                o.px(g.0, g.1)
            })
            .collect();
        draw_clipped_line(root, &px, o.rect, INK.mix(0.8).stroke_width(2))?;
    }

    // Labels: per view, avoiding markers, lines and each other.
    let mut placed = Vec::new();
    let nf = bold(LABEL_SIZE + 2.0);
    let lf = font(LABEL_SIZE - 2.0);
    let bf = bold(LABEL_SIZE - 1.0);
    let cf = FontDesc::new(FontFamily::SansSerif, LABEL_SIZE - 3.0, FontStyle::Normal);
    let sf = FontDesc::new(FontFamily::SansSerif, LABEL_SIZE, FontStyle::Italic);
    for v in &views {
        let ir = v.irect();
        let mut placer = LabelPlacer::new([ir[0] + 4, ir[1] + 4, ir[2] - 4, ir[3] - 4]);
        // The scale bar's corner.
        placer.reserve([ir[2] - 220, ir[3] - 50, ir[2], ir[3]]);
        for n in &m.nodes {
            let p = ipt(v.px(n.lon, n.lat));
            placer.reserve([p.0 - 11, p.1 - 11, p.0 + 11, p.1 + 11]);
        }
        for l in drawn.iter().flatten() {
            let (a, b) = (l.a, l.b);
            let len = ((b.0 - a.0).hypot(b.1 - a.1)).max(1.0);
            let steps = (len / 5.0).ceil() as i32;
            let r = l.w as i32 / 2 + 3;
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let (x, y) = ipt((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
                placer.reserve([x - r, y - r, x + r, y + r]);
            }
        }
        // Node names first (they matter most).
        for n in &m.nodes {
            if m.home(&lay, n.lon, n.lat) != *v {
                continue;
            }
            let p = ipt(v.px(n.lon, n.lat));
            let sz = text_size(root, &n.name, &nf);
            let padded = (sz.0 + 6, sz.1 + 4);
            let mut cands = LabelPlacer::around(p, padded, 14);
            cands.extend(LabelPlacer::around(p, padded, 60));
            let pos = placer.place(padded, &cands);
            halo_text(root, (pos.0 + 3, pos.1 + 2), sz.1, &n.name, &nf, INK)?;
            placed.push(PlacedLabel {
                text: n.name.clone(),
                rect: [pos.0, pos.1, pos.0 + padded.0, pos.1 + padded.1],
            });
        }
        // Link values: the busiest link first, always labelled; the others where free.
        let mine: Vec<&DrawnLink> = drawn
            .iter()
            .flatten()
            .filter(|l| l.view == *v && l.home == *v)
            .collect();
        let mut order: Vec<&&DrawnLink> = mine.iter().filter(|l| l.busiest).collect();
        order.extend(mine.iter().filter(|l| !l.busiest));
        for l in order {
            let (label, f, colour) = if l.busiest {
                (format!("{} — highest utilization", l.label), &bf, INK)
            } else {
                (l.label.clone(), &lf, MUTED)
            };
            let sz = text_size(root, &label, f);
            let padded = (sz.0 + 6, sz.1 + 4);
            let (dx, dy) = (l.b.0 - l.a.0, l.b.1 - l.a.1);
            let len = dx.hypot(dy).max(1.0);
            let (nx, ny) = (-dy / len, dx / len);
            let reach = nx.abs() * padded.0 as f64 / 2.0 + ny.abs() * padded.1 as f64 / 2.0;
            let mut cands = Vec::new();
            let extra: &[f64] = if l.busiest {
                &[0.0, 20.0, 45.0]
            } else {
                &[0.0]
            };
            for e in extra {
                let off = l.w as f64 / 2.0 + 5.0 + reach + e;
                for t in [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85] {
                    let cx = l.a.0 + dx * t;
                    let cy = l.a.1 + dy * t;
                    for side in [1.0, -1.0] {
                        cands.push((
                            (cx + side * nx * off - padded.0 as f64 / 2.0).round() as i32,
                            (cy + side * ny * off - padded.1 as f64 / 2.0).round() as i32,
                        ));
                    }
                }
            }
            let pos = if l.busiest {
                Some(placer.place(padded, &cands))
            } else {
                placer.try_place(padded, &cands)
            };
            if let Some(pos) = pos {
                if l.busiest {
                    // A leader from the label to the middle of its link: no doubt which.
                    let (mx, my) = ((l.a.0 + l.b.0) / 2.0, (l.a.1 + l.b.1) / 2.0);
                    let bx = (mx.round() as i32).clamp(pos.0, pos.0 + padded.0);
                    let by = (my.round() as i32).clamp(pos.1, pos.1 + padded.1);
                    root.draw(&PathElement::new(
                        vec![(bx, by), ipt((mx, my))],
                        INK.stroke_width(2),
                    ))
                    .m()?;
                    root.draw(&Circle::new(ipt((mx, my)), 4, INK.filled()))
                        .m()?;
                }
                halo_text(root, (pos.0 + 3, pos.1 + 2), sz.1, &label, f, colour)?;
            }
        }
        // Seas and countries, where nothing else is.
        for (name, lon, lat) in SEAS {
            let p = v.px(lon, lat);
            if !v.contains(p, 0.0) {
                continue;
            }
            let sz = text_size(root, name, &sf);
            let c = (
                (p.0 - sz.0 as f64 / 2.0).round() as i32,
                (p.1 - sz.1 as f64 / 2.0).round() as i32,
            );
            let mut cands = Vec::new();
            for dy in [0, -1, 1, -2, 2, -3, 3] {
                for dx in [0, -1, 1, -2, 2] {
                    cands.push((c.0 + dx * sz.0 / 3, c.1 + dy * (sz.1 + 4)));
                }
            }
            if let Some(pos) = placer.try_place(sz, &cands) {
                root.draw(&Text::new(
                    name.to_string(),
                    (pos.0, pos.1 + sz.1 / 2),
                    sf.clone()
                        .color(&SEA_INK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .m()?;
            }
        }
        for (name, lon, lat) in COUNTRIES {
            let p = v.px(lon, lat);
            if !v.contains(p, 0.0) {
                continue;
            }
            let sz = text_size(root, name, &cf);
            let c = (
                (p.0 - sz.0 as f64 / 2.0).round() as i32,
                (p.1 - sz.1 as f64 / 2.0).round() as i32,
            );
            let cands = [c, (c.0, c.1 - sz.1 - 6), (c.0, c.1 + sz.1 + 6)];
            if let Some(pos) = placer.try_place(sz, &cands) {
                root.draw(&Text::new(
                    name.to_string(),
                    (pos.0, pos.1 + sz.1 / 2),
                    cf.clone()
                        .color(&COUNTRY_INK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .m()?;
            }
        }
        draw_scale_bar(root, v)?;
        root.draw(&Rectangle::new(
            [(ir[0], ir[1]), (ir[2], ir[3])],
            INK.stroke_width(1),
        ))
        .m()?;
    }
    if let Some(d) = lay.detail {
        let ir = d.irect();
        let s = "Caucasus and Caspian, enlarged (outlined above)";
        let f = bold(LABEL_SIZE - 2.0);
        let sz = text_size(root, s, &f);
        root.draw(&Rectangle::new(
            [
                (ir[0] + 1, ir[1] + 1),
                (ir[0] + sz.0 + 14, ir[1] + sz.1 + 10),
            ],
            WHITE.mix(0.85).filled(),
        ))
        .m()?;
        root.draw(&Text::new(
            s.to_string(),
            (ir[0] + 7, ir[1] + 5),
            f.color(&INK).pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .m()?;
    }
    Ok(placed)
}

impl ChartTrait for MapData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let subtitle = format!(
            "Links: width by TEU carried in {}, colour by utilization (means over \
             replications). Lambert conformal conic {}°/{}° N; borders Natural Earth",
            self.year, STANDARD_PARALLELS.0, STANDARD_PARALLELS.1
        );
        draw_title(
            root,
            &format!(
                "The corridor in {} — {}",
                self.year,
                short_scenario_name(&self.scenario)
            ),
            &subtitle,
        )?;
        draw_map(self, root)?;

        // Legend: widths, colours, node shapes.
        let (_, legend) = body(root);
        let (lx, ly) = legend.get_base_pixel();
        let (lx, mut y) = (lx + 10, ly + 20);
        let max_teu = self
            .links
            .iter()
            .map(|l| l.carried_teu)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        if max_teu > 0.0 {
            draw_legend(
                root,
                (lx, y),
                LEGEND_W - 30,
                &[(Swatch::Heading, format!("TEU carried in {}", self.year))],
            )?;
            y += 40;
            // Samples at the full, a fifth and a fiftieth of the busiest link: the widths
            // (20, 10 and 5 px in the enlarged panel) differ at a glance.
            for f in [1.0, 0.2, 0.02] {
                let v = round2(max_teu * f);
                let w = width_of(v, max_teu);
                root.draw(&PathElement::new(
                    vec![(lx, y), (lx + 60, y)],
                    CASING.stroke_width(w + 2),
                ))
                .m()?;
                root.draw(&PathElement::new(
                    vec![(lx, y), (lx + 60, y)],
                    RGBColor(0x9A, 0x9A, 0x9A).stroke_width(w),
                ))
                .m()?;
                root.draw(&Text::new(
                    format!("{} TEU", thousands(v, 0)),
                    (lx + 76, y),
                    text(LEGEND_SIZE, INK, HPos::Left, VPos::Center),
                ))
                .m()?;
                y += 38;
            }
            y += 4;
        }
        draw_colour_bar(root, (lx, y + 40), (30, 200), "Utilization of the link")?;
        y += 40 + 200 + 24;
        let y = draw_legend(
            root,
            (lx, y),
            LEGEND_W - 30,
            &[
                (
                    Swatch::Width(NO_DATA, 10),
                    "no utilization data".to_string(),
                ),
                (Swatch::Marker(INK, 2), "port".to_string()),
                (
                    Swatch::Marker(INK, 0),
                    "terminal, border, gateway".to_string(),
                ),
                (Swatch::Width(BORDER, 2), "country border".to_string()),
                (Swatch::Width(COAST, 2), "coast".to_string()),
            ],
        )?;
        let _ = y;
        legend_note(
            root,
            &[
                "Bold label: the link with the",
                "highest utilization that year.",
                "Basemap: Natural Earth 1:50m.",
            ],
        )
    }
}
