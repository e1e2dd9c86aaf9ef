//! The basemap under the corridor map: country outlines, borders and coastlines of the
//! region (Natural Earth 1:50m via world-atlas, public domain; see `basemap/LICENSE`),
//! compiled into the program from `basemap/region.txt` (written offline by
//! `basemap/extract.py`), and the map projection. Nothing is downloaded at build or run time.

use std::sync::OnceLock;

/// A ring or line of (lon, lat) degrees.
pub type Line = Vec<(f64, f64)>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Basemap {
    /// The box the extract covers: lon0, lat0, lon1, lat1 (degrees).
    pub bbox: [f64; 4],
    /// Outer rings of countries (clipped to the box), with the country's name.
    pub land: Vec<(String, Line)>,
    /// Land borders (arcs two countries share).
    pub borders: Vec<Line>,
    /// Coastlines of seas and lakes (the Caspian, the Black Sea, the Aral).
    pub coasts: Vec<Line>,
}

const REGION: &str = include_str!("basemap/region.txt");

/// The compiled-in basemap, parsed once. A malformed record is skipped, never a panic.
pub fn basemap() -> &'static Basemap {
    static MAP: OnceLock<Basemap> = OnceLock::new();
    MAP.get_or_init(|| parse(REGION))
}

fn parse(text: &str) -> Basemap {
    let mut b = Basemap::default();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(kind), Some(name), Some(coords)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let nums: Option<Vec<f64>> = coords
            .split_whitespace()
            .map(|s| s.parse::<f64>().ok())
            .collect();
        let Some(nums) = nums else { continue };
        if nums.len() % 2 != 0 {
            continue;
        }
        let pts: Line = nums.chunks(2).map(|c| (c[0], c[1])).collect();
        match kind {
            "box" if pts.len() == 2 => b.bbox = [pts[0].0, pts[0].1, pts[1].0, pts[1].1],
            "land" if pts.len() >= 3 => b.land.push((name.to_string(), pts)),
            "border" if pts.len() >= 2 => b.borders.push(pts),
            "coast" if pts.len() >= 2 => b.coasts.push(pts),
            _ => {}
        }
    }
    b
}

/// Lambert conformal conic on a sphere: standard parallels 38° N and 46° N, central
/// meridian 62° E (each map panel uses the meridian of its own centre), origin latitude
/// 42° N. Angles are kept (a port's coast looks as it
/// does), and along the corridor (40–46° N) distances are within about 0.5% of true.
pub const STANDARD_PARALLELS: (f64, f64) = (38.0, 46.0);
pub const CENTRAL_MERIDIAN: f64 = 62.0;
const ORIGIN_LAT: f64 = 42.0;
/// Earth radius, km: one projected unit.
pub const EARTH_KM: f64 = 6371.0;

struct Lcc {
    n: f64,
    f: f64,
    rho0: f64,
}

fn lcc() -> Lcc {
    let (p1, p2) = (
        STANDARD_PARALLELS.0.to_radians(),
        STANDARD_PARALLELS.1.to_radians(),
    );
    let t = |p: f64| (std::f64::consts::FRAC_PI_4 + p / 2.0).tan();
    let n = (p1.cos() / p2.cos()).ln() / (t(p2) / t(p1)).ln();
    let f = p1.cos() * t(p1).powf(n) / n;
    let rho0 = f / t(ORIGIN_LAT.to_radians()).powf(n);
    Lcc { n, f, rho0 }
}

/// (lon, lat) degrees → projected (x east, y north), in Earth radii.
pub fn project(lon: f64, lat: f64) -> (f64, f64) {
    project_at(CENTRAL_MERIDIAN, lon, lat)
}

/// Projected (x, y) → (lon, lat) degrees.
pub fn unproject(x: f64, y: f64) -> (f64, f64) {
    unproject_at(CENTRAL_MERIDIAN, x, y)
}

/// `project` with another central meridian (a panel centred on it has north up).
pub fn project_at(meridian: f64, lon: f64, lat: f64) -> (f64, f64) {
    let p = lcc();
    let lat = lat.clamp(-80.0, 85.0).to_radians();
    let rho = p.f / (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().powf(p.n);
    let theta = p.n * (lon - meridian).to_radians();
    (rho * theta.sin(), p.rho0 - rho * theta.cos())
}

/// `unproject` with another central meridian.
pub fn unproject_at(meridian: f64, x: f64, y: f64) -> (f64, f64) {
    let p = lcc();
    let dy = p.rho0 - y;
    let rho = (x * x + dy * dy).sqrt();
    let theta = x.atan2(dy);
    let lat = 2.0 * (p.f / rho).powf(1.0 / p.n).atan() - std::f64::consts::FRAC_PI_2;
    (meridian + (theta / p.n).to_degrees(), lat.to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_round_trips_and_keeps_distances() {
        for (lon, lat) in [(49.9, 40.4), (51.2, 43.6), (87.6, 43.8), (41.7, 42.2)] {
            let (x, y) = project(lon, lat);
            let (a, b) = unproject(x, y);
            assert!((a - lon).abs() < 1e-9 && (b - lat).abs() < 1e-9);
        }
        // One degree of latitude at 42° N is about 111 km.
        let (_, y0) = project(62.0, 41.5);
        let (_, y1) = project(62.0, 42.5);
        let km = (y1 - y0) * EARTH_KM;
        assert!((km - 111.2).abs() < 1.0, "{km}");
    }

    #[test]
    fn basemap_parses() {
        let b = basemap();
        assert!(b.land.iter().any(|(n, _)| n == "Kazakhstan"));
        assert!(!b.borders.is_empty() && !b.coasts.is_empty());
    }
}
