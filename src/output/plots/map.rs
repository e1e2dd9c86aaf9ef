//! The corridor map of one scenario in one year: nodes at their longitude/latitude (from
//! `nodes.csv`), labelled; links (from `links.csv`) drawn with a width by TEU carried and
//! a colour by utilization. Coastlines of the Caspian and the eastern Black Sea are
//! schematic outlines for orientation only. This module must never run the model.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, INK, LABEL_SIZE, LabelPlacer, MUTED, NO_DATA,
    OrMsg, Swatch, TICK_SIZE, bold, boxed_label, draw_colour_bar, draw_legend, draw_title, font,
    text_size, viridis,
};
use super::format::{compact, thousands};
use super::throughput::{LEGEND_W, body};
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

/// Schematic outline of the Caspian Sea (lon, lat), coarse: for orientation only.
const CASPIAN: [(f64, f64); 38] = [
    (47.6, 45.6),
    (48.3, 46.0),
    (49.2, 46.3),
    (50.3, 46.6),
    (51.3, 46.95),
    (52.4, 46.8),
    (53.1, 46.6),
    (53.2, 45.9),
    (52.6, 45.4),
    (51.5, 45.4),
    (50.9, 44.9),
    (50.3, 44.6),
    (50.5, 44.2),
    (51.2, 43.6),
    (51.6, 43.2),
    (52.5, 42.6),
    (52.8, 41.8),
    (53.0, 41.1),
    (52.8, 40.4),
    (53.0, 40.0),
    (53.5, 39.3),
    (53.9, 38.6),
    (53.9, 37.4),
    (54.0, 36.9),
    (52.6, 36.7),
    (51.5, 36.7),
    (50.4, 37.0),
    (49.4, 37.5),
    (48.9, 38.4),
    (48.9, 38.8),
    (49.3, 39.4),
    (49.5, 40.0),
    (50.4, 40.4),
    (49.6, 40.6),
    (49.2, 41.1),
    (48.3, 42.0),
    (47.5, 43.0),
    (47.1, 44.5),
];

/// Schematic outline of the eastern Black Sea (lon, lat).
const BLACK_SEA: [(f64, f64); 11] = [
    (27.5, 46.0),
    (37.8, 44.7),
    (39.7, 43.6),
    (41.0, 43.0),
    (41.65, 42.15),
    (41.6, 41.6),
    (41.5, 41.4),
    (40.5, 41.05),
    (39.7, 41.0),
    (38.4, 40.9),
    (27.5, 41.0),
];

/// The most latitude is stretched relative to longitude.
const MAX_STRETCH: f64 = 2.5;

const SEA: RGBColor = RGBColor(0xDD, 0xEC, 0xF6);

fn width_of(v: f64, max: f64) -> u32 {
    if v.is_finite() && v > 0.0 && max > 0.0 {
        (2.0 + 12.0 * (v / max).sqrt()).round() as u32
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

impl ChartTrait for MapData {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let (plot, legend) = body(root);
        let lons: Vec<f64> = self.nodes.iter().map(|n| n.lon).collect();
        let lats: Vec<f64> = self.nodes.iter().map(|n| n.lat).collect();
        let (mut lo0, mut lo1) = super::throughput::min_max(&lons).unwrap_or((40.0, 90.0));
        let (mut la0, mut la1) = super::throughput::min_max(&lats).unwrap_or((35.0, 50.0));
        let pad_lo = ((lo1 - lo0) * 0.08).max(1.0);
        let pad_la = ((la1 - la0) * 0.15).max(1.0);
        lo0 -= pad_lo;
        lo1 += pad_lo;
        la0 -= pad_la;
        la1 += pad_la;
        // Fill the area's shape: equal distances east and north where the nodes allow,
        // otherwise latitude stretched up to MAX_STRETCH times (a corridor running east
        // to west would else be a thin line).
        let (pw, ph) = plot.dim_in_pixel();
        let (pw, ph) = (pw as f64 - 140.0, ph as f64 - 100.0);
        let k = ((la0 + la1) / 2.0).to_radians().cos().max(0.2);
        let natural = pw / ph; // = (dlon * k) / dlat at equal distances
        let want = if (lo1 - lo0) * k / (la1 - la0) > natural {
            // Too wide for the area: stretch latitude, within limits.
            ((lo1 - lo0) * k / (la1 - la0)).min(natural * MAX_STRETCH)
        } else {
            natural
        };
        let want = want.max(natural); // never squash latitude
        let stretch = want / natural;
        let mut subtitle = format!(
            "Links: width by TEU carried in {}, colour by utilization (means over \
             replications). Coastlines schematic",
            self.year
        );
        if stretch > 1.05 {
            subtitle.push_str(&format!("; north–south stretched ×{stretch:.1}"));
        }
        draw_title(
            root,
            &format!(
                "The corridor in {} — {}",
                self.year,
                short_scenario_name(&self.scenario)
            ),
            &subtitle,
        )?;
        let (dlon, dlat) = (lo1 - lo0, la1 - la0);
        if dlon * k / dlat < want {
            let add = (want * dlat / k - dlon) / 2.0;
            lo0 -= add;
            lo1 += add;
        } else {
            let add = (dlon * k / want - dlat) / 2.0;
            la0 -= add;
            la1 += add;
        }
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(30)
            .margin_left(10)
            .margin_bottom(10)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .build_cartesian_2d(lo0..lo1, la0..la1)
            .m()?;
        let lon_fmt = |x: &f64| format!("{:.0}°E", x);
        let lat_fmt = |y: &f64| format!("{:.0}°N", y);
        chart
            .configure_mesh()
            .x_desc("Longitude")
            .y_desc("Latitude")
            .axis_desc_style(font(AXIS_DESC_SIZE).color(&INK))
            .label_style(font(TICK_SIZE).color(&INK))
            .x_labels(12)
            .y_labels(8)
            .x_label_formatter(&lon_fmt)
            .y_label_formatter(&lat_fmt)
            .bold_line_style(RGBColor(0xEE, 0xEE, 0xEE).stroke_width(1))
            .light_line_style(WHITE.mix(0.0))
            .axis_style(INK.stroke_width(2))
            .draw()
            .m()?;
        for sea in [&CASPIAN[..], &BLACK_SEA[..]] {
            chart
                .draw_series(std::iter::once(Polygon::new(sea.to_vec(), SEA.filled())))
                .m()?;
        }

        let (px, py) = chart.plotting_area().get_pixel_range();
        let mut placer = LabelPlacer::new([px.start + 4, py.start + 4, px.end - 4, py.end - 4]);
        let at = |id: &str| {
            self.nodes
                .iter()
                .find(|n| n.id == id)
                .map(|n| chart.backend_coord(&(n.lon, n.lat)))
        };
        // Sea name, when the Caspian is in view.
        let caspian = (51.0, 41.9);
        if caspian.0 > lo0 && caspian.0 < lo1 && caspian.1 > la0 && caspian.1 < la1 {
            let f = FontDesc::new(FontFamily::SansSerif, LABEL_SIZE, FontStyle::Italic);
            let p = chart.backend_coord(&caspian);
            let s = "Caspian Sea";
            let sz = text_size(root, s, &f);
            let cands = LabelPlacer::around(p, sz, 0)
                .into_iter()
                .take(1)
                .collect::<Vec<_>>();
            let pos = placer.place(sz, &cands);
            root.draw(&Text::new(
                s.to_string(),
                (pos.0, pos.1 + sz.1 / 2),
                f.color(&RGBColor(0x3A, 0x6E, 0x96))
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .m()?;
        }
        for n in &self.nodes {
            let p = chart.backend_coord(&(n.lon, n.lat));
            placer.reserve([p.0 - 12, p.1 - 12, p.0 + 12, p.1 + 12]);
        }

        // Links: a dark casing under a coloured line; parallel links side by side.
        let max_teu = self
            .links
            .iter()
            .map(|l| l.carried_teu)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let mut drawn: Vec<(i32, i32, i32, i32, u32, String)> = Vec::new();
        for (i, l) in self.links.iter().enumerate() {
            let (Some(a), Some(b)) = (at(&l.from), at(&l.to)) else {
                continue;
            };
            let same = |m: &MapLink| {
                (m.from == l.from && m.to == l.to) || (m.from == l.to && m.to == l.from)
            };
            let group: Vec<usize> = (0..self.links.len())
                .filter(|&j| same(&self.links[j]))
                .collect();
            let k = group.iter().position(|&j| j == i).unwrap_or(0) as f64;
            let w = width_of(l.carried_teu, max_teu);
            let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            let off = (k - (group.len() as f64 - 1.0) / 2.0) * 26.0;
            let (ox, oy) = ((-dy / len * off) as i32, (dx / len * off) as i32);
            let (a, b) = ((a.0 + ox, a.1 + oy), (b.0 + ox, b.1 + oy));
            let colour = if l.utilization.is_finite() {
                viridis(l.utilization)
            } else {
                NO_DATA
            };
            root.draw(&PathElement::new(
                vec![a, b],
                RGBColor(0x33, 0x33, 0x33).stroke_width(w + 3),
            ))
            .m()?;
            root.draw(&PathElement::new(vec![a, b], colour.stroke_width(w)))
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
            drawn.push((a.0, a.1, b.0, b.1, w, label));
        }
        for n in &self.nodes {
            let p = chart.backend_coord(&(n.lon, n.lat));
            if n.kind == "port" {
                root.draw(&Rectangle::new(
                    [(p.0 - 9, p.1 - 9), (p.0 + 9, p.1 + 9)],
                    WHITE.filled(),
                ))
                .m()?;
                root.draw(&Rectangle::new(
                    [(p.0 - 9, p.1 - 9), (p.0 + 9, p.1 + 9)],
                    INK.stroke_width(3),
                ))
                .m()?;
            } else {
                root.draw(&Circle::new(p, 9, WHITE.filled())).m()?;
                root.draw(&Circle::new(p, 9, INK.stroke_width(3))).m()?;
            }
        }
        // Labels avoid the links: reserve each link's band, sampled every few pixels.
        for (x0, y0, x1, y1, w, _) in &drawn {
            let len = ((((x1 - x0).pow(2) + (y1 - y0).pow(2)) as f64).sqrt()).max(1.0);
            let steps = (len / 6.0).ceil() as i32;
            let r = *w as i32 / 2 + 2;
            for k in 0..=steps {
                let x = x0 + (x1 - x0) * k / steps;
                let y = y0 + (y1 - y0) * k / steps;
                placer.reserve([x - r, y - r, x + r, y + r]);
            }
        }
        // Node names first (they matter most), then link values.
        let nf = bold(LABEL_SIZE + 2.0);
        for n in &self.nodes {
            let p = chart.backend_coord(&(n.lon, n.lat));
            let sz = text_size(root, &n.name, &nf);
            let padded = (sz.0 + 8, sz.1 + 6);
            let pos = placer.place(padded, &LabelPlacer::around(p, padded, 16));
            boxed_label(root, (pos.0 + 4, pos.1 + 3), sz, &n.name, &nf, INK)?;
        }
        let lf = font(LABEL_SIZE - 2.0);
        for (x0, y0, x1, y1, w, label) in &drawn {
            let sz = text_size(root, label, &lf);
            let padded = (sz.0 + 8, sz.1 + 6);
            let (dx, dy) = ((x1 - x0) as f64, (y1 - y0) as f64);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            let (nx, ny) = (-dy / len, dx / len);
            let reach = nx.abs() * padded.0 as f64 / 2.0 + ny.abs() * padded.1 as f64 / 2.0;
            let off = *w as f64 / 2.0 + 5.0 + reach;
            let mut cands = Vec::new();
            for t in [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78] {
                let cx = *x0 as f64 + dx * t;
                let cy = *y0 as f64 + dy * t;
                for side in [1.0, -1.0] {
                    cands.push((
                        (cx + side * nx * off - padded.0 as f64 / 2.0).round() as i32,
                        (cy + side * ny * off - padded.1 as f64 / 2.0).round() as i32,
                    ));
                }
            }
            // Link values are secondary: left out where they would cover a name or a link.
            if let Some(pos) = placer.try_place(padded, &cands) {
                boxed_label(root, (pos.0 + 4, pos.1 + 3), sz, label, &lf, MUTED)?;
            }
        }

        // Legend: widths, colours, node shapes.
        let (lx, ly) = legend.get_base_pixel();
        let (lx, mut y) = (lx + 10, ly + 20);
        if max_teu > 0.0 {
            let mut entries = vec![(Swatch::Heading, format!("TEU carried in {}", self.year))];
            for f in [1.0, 0.5, 0.1] {
                let v = round2(max_teu * f);
                entries.push((
                    Swatch::Width(RGBColor(0x55, 0x55, 0x55), width_of(v, max_teu)),
                    format!("{} TEU", thousands(v, 0)),
                ));
            }
            y = draw_legend(root, (lx, y), LEGEND_W - 30, &entries)? + 20;
        }
        draw_colour_bar(root, (lx, y + 40), (30, 220), "Utilization of the link")?;
        y += 40 + 220 + 30;
        draw_legend(
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
            ],
        )?;
        Ok(())
    }
}
