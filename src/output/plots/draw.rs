//! Drawing helpers shared by the charts: rendering to PNG and SVG, palettes, text styles,
//! titles, legends outside the plot area, label placement without overlaps, nice ticks.
//!
//! Everything here works in pixels on a 1600×900 canvas. It must never read files.

use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{HEIGHT, PlotError, WIDTH};

/// A chart that can draw itself on any plotters back end.
pub(crate) trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult;
}

/// Object-safe form of `Chart`, for a list of charts of different types.
pub(crate) trait DynChart {
    fn draw_bitmap(&self, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> DResult;
    fn draw_svg(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DResult;
}

impl<T: Chart> DynChart for T {
    fn draw_bitmap(&self, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> DResult {
        self.draw(root)
    }
    fn draw_svg(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DResult {
        self.draw(root)
    }
}

pub(crate) type DResult = Result<(), String>;

/// Turns any drawing error into a message.
pub(crate) trait OrMsg<T> {
    fn m(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Debug> OrMsg<T> for Result<T, E> {
    fn m(self) -> Result<T, String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// Draws a chart twice: into an RGB buffer encoded as PNG, and into an SVG string.
pub(crate) fn render(name: &str, chart: &dyn DynChart) -> Result<(Vec<u8>, String), PlotError> {
    let fail = |message: String| PlotError::Draw {
        chart: name.to_string(),
        message,
    };
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).m().map_err(fail)?;
        chart.draw_bitmap(&root).map_err(fail)?;
        root.present().m().map_err(fail)?;
    }
    let png = encode_png(&buf).map_err(|e| fail(e.to_string()))?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).m().map_err(fail)?;
        chart.draw_svg(&root).map_err(fail)?;
        root.present().m().map_err(fail)?;
    }
    Ok((png, svg))
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(rgb)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Colours

/// Okabe–Ito colours, ordered for lines on white (yellow, the faintest, last).
pub(crate) const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

pub(crate) fn line_colour(i: usize) -> RGBColor {
    OKABE_ITO[i % OKABE_ITO.len()]
}

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x59, 0x59, 0x59);
pub(crate) const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
pub(crate) const NO_DATA: RGBColor = RGBColor(0xE8, 0xE8, 0xE8);

/// Viridis at 0, 0.1, …, 1.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51),
    (0xBD, 0xDF, 0x26),
    (0xFD, 0xE7, 0x25),
];

/// The viridis colour of `t` (clamped to 0..1; NaN → light grey).
pub(crate) fn viridis(t: f64) -> RGBColor {
    if t.is_nan() {
        return NO_DATA;
    }
    let t = t.clamp(0.0, 1.0) * 10.0;
    let i = (t.floor() as usize).min(9);
    let f = t - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `c`.
pub(crate) fn text_on(c: RGBColor) -> RGBColor {
    let l = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    if l > 140.0 { INK } else { WHITE }
}

// ---------------------------------------------------------------------------------------
// Text

pub(crate) const TITLE_SIZE: f64 = 40.0;
pub(crate) const SUBTITLE_SIZE: f64 = 24.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 26.0;
pub(crate) const TICK_SIZE: f64 = 22.0;
pub(crate) const LEGEND_SIZE: f64 = 22.0;
pub(crate) const LABEL_SIZE: f64 = 20.0;

pub(crate) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Normal)
}

pub(crate) fn bold(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Bold)
}

/// A text style anchored at (h, v).
pub(crate) fn text(size: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size).color(&colour).pos(Pos::new(h, v))
}

/// Width and height of `s` in pixels (an estimate when the font cannot measure it).
pub(crate) fn text_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    f: &FontDesc<'_>,
) -> (i32, i32) {
    match area.estimate_text_size(s, &TextStyle::from(f.clone())) {
        Ok((w, h)) => (w as i32, h as i32),
        Err(_) => (
            (s.chars().count() as f64 * f.get_size() * 0.6) as i32,
            f.get_size() as i32,
        ),
    }
}

/// Shortens `s` to at most `max_px` pixels wide, ending in "…" when cut.
pub(crate) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    f: &FontDesc<'_>,
    max_px: i32,
) -> String {
    if text_size(area, s, f).0 <= max_px {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let t: String = chars[..n].iter().collect::<String>() + "…";
        if text_size(area, &t, f).0 <= max_px {
            return t;
        }
    }
    "…".to_string()
}

/// Height of the title band at the top of every chart.
pub(crate) const TITLE_BAND: i32 = 100;

/// Draws the title and subtitle at the top left of `root`.
pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> DResult {
    let max = WIDTH as i32 - 60;
    let t = fit_text(root, title, &bold(TITLE_SIZE), max);
    root.draw(&Text::new(
        t,
        (30, 18),
        bold(TITLE_SIZE)
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .m()?;
    if !subtitle.is_empty() {
        let s = fit_text(root, subtitle, &font(SUBTITLE_SIZE), max);
        root.draw(&Text::new(
            s,
            (30, 66),
            text(SUBTITLE_SIZE, MUTED, HPos::Left, VPos::Top),
        ))
        .m()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Legends

/// What a legend entry's swatch looks like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A line with a marker of the given shape index.
    Line(RGBColor, usize),
    /// A filled translucent box (a band).
    Band(RGBColor),
    /// A box outline with a middle line (a percentile box).
    Box(RGBColor),
    /// A marker alone.
    Marker(RGBColor, usize),
    /// A line of a given width.
    Width(RGBColor, u32),
    /// No swatch: a heading.
    Heading,
    /// No swatch: plain text.
    Text,
}

/// Draws a legend as a column of entries starting at (x, y), at most `max_w` wide.
/// Returns the y below the last entry.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, mut y): (i32, i32),
    max_w: i32,
    entries: &[(Swatch, String)],
) -> Result<i32, String> {
    let f = font(LEGEND_SIZE);
    let row = (LEGEND_SIZE * 1.6) as i32;
    for (sw, label) in entries {
        let cy = y + row / 2;
        let lx = if matches!(sw, Swatch::Text) {
            x
        } else {
            x + 56
        };
        match *sw {
            Swatch::Text => {}
            Swatch::Heading => {
                let t = fit_text(root, label, &bold(LEGEND_SIZE), max_w);
                root.draw(&Text::new(
                    t,
                    (x, cy),
                    bold(LEGEND_SIZE)
                        .color(&INK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .m()?;
                y += row;
                continue;
            }
            Swatch::Line(c, shape) => {
                root.draw(&PathElement::new(
                    vec![(x, cy), (x + 44, cy)],
                    c.stroke_width(3),
                ))
                .m()?;
                draw_marker(root, (x + 22, cy), shape, c, 7)?;
            }
            Swatch::Band(c) => {
                root.draw(&Rectangle::new(
                    [(x, cy - 9), (x + 44, cy + 9)],
                    c.mix(0.22).filled(),
                ))
                .m()?;
            }
            Swatch::Box(c) => {
                root.draw(&Rectangle::new(
                    [(x + 10, cy - 11), (x + 34, cy + 11)],
                    c.mix(0.25).filled(),
                ))
                .m()?;
                root.draw(&Rectangle::new(
                    [(x + 10, cy - 11), (x + 34, cy + 11)],
                    c.stroke_width(2),
                ))
                .m()?;
            }
            Swatch::Marker(c, shape) => draw_marker(root, (x + 22, cy), shape, c, 8)?,
            Swatch::Width(c, w) => {
                root.draw(&PathElement::new(
                    vec![(x, cy), (x + 44, cy)],
                    c.stroke_width(w),
                ))
                .m()?;
            }
        }
        let t = fit_text(root, label, &f, max_w - (lx - x));
        root.draw(&Text::new(
            t,
            (lx, cy),
            text(LEGEND_SIZE, INK, HPos::Left, VPos::Center),
        ))
        .m()?;
        y += row;
    }
    Ok(y)
}

/// Draws a marker: 0 circle, 1 triangle, 2 square, 3 diamond (cycling), filled, with a
/// white edge so that overlapping markers stay distinct.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    shape: usize,
    c: RGBColor,
    r: i32,
) -> DResult {
    let pts: Vec<(i32, i32)> = match shape % 4 {
        0 => {
            root.draw(&Circle::new((x, y), r + 1, WHITE.filled())).m()?;
            root.draw(&Circle::new((x, y), r, c.filled())).m()?;
            return Ok(());
        }
        1 => vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
        2 => vec![
            (x - r, y - r),
            (x + r, y - r),
            (x + r, y + r),
            (x - r, y + r),
        ],
        _ => vec![
            (x, y - r - 2),
            (x + r + 2, y),
            (x, y + r + 2),
            (x - r - 2, y),
        ],
    };
    root.draw(&Polygon::new(pts.clone(), c.filled())).m()?;
    let mut closed = pts;
    closed.push(closed[0]);
    root.draw(&PathElement::new(closed, WHITE.stroke_width(1)))
        .m()?;
    Ok(())
}

/// Draws a vertical colour bar for 0–100 % at (x, y) of size (w, h) with ticks at every
/// 20 %, and its caption above.
pub(crate) fn draw_colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    caption: &str,
) -> DResult {
    root.draw(&Text::new(
        caption.to_string(),
        (x, y - 22),
        text(LEGEND_SIZE, INK, HPos::Left, VPos::Bottom),
    ))
    .m()?;
    for i in 0..h {
        let t = 1.0 - i as f64 / (h - 1).max(1) as f64;
        root.draw(&Rectangle::new(
            [(x, y + i), (x + w, y + i + 1)],
            viridis(t).filled(),
        ))
        .m()?;
    }
    root.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        INK.stroke_width(1),
    ))
    .m()?;
    for k in 0..=5 {
        let t = k as f64 / 5.0;
        let ty = y + ((1.0 - t) * (h - 1) as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x + w, ty), (x + w + 8, ty)],
            INK.stroke_width(1),
        ))
        .m()?;
        root.draw(&Text::new(
            format!("{}%", (t * 100.0).round()),
            (x + w + 12, ty),
            text(TICK_SIZE, INK, HPos::Left, VPos::Center),
        ))
        .m()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Label placement

/// Places labels so that they overlap neither each other nor reserved boxes.
#[derive(Debug, Default)]
pub(crate) struct LabelPlacer {
    taken: Vec<[i32; 4]>, // x0, y0, x1, y1
    bounds: Option<[i32; 4]>,
}

impl LabelPlacer {
    pub(crate) fn new(bounds: [i32; 4]) -> Self {
        LabelPlacer {
            taken: Vec::new(),
            bounds: Some(bounds),
        }
    }

    /// Marks a box as taken (a marker, a legend).
    pub(crate) fn reserve(&mut self, b: [i32; 4]) {
        self.taken.push(b);
    }

    fn free(&self, b: &[i32; 4]) -> bool {
        if let Some(o) = self.bounds {
            if b[0] < o[0] || b[1] < o[1] || b[2] > o[2] || b[3] > o[3] {
                return false;
            }
        }
        self.taken
            .iter()
            .all(|t| b[2] <= t[0] || b[0] >= t[2] || b[3] <= t[1] || b[1] >= t[3])
    }

    /// The first free candidate, taken; `None` when every candidate collides.
    pub(crate) fn try_place(
        &mut self,
        (w, h): (i32, i32),
        candidates: &[(i32, i32)],
    ) -> Option<(i32, i32)> {
        let pick = candidates
            .iter()
            .copied()
            .find(|&(x, y)| self.free(&[x, y, x + w, y + h]))?;
        self.taken.push([pick.0, pick.1, pick.0 + w, pick.1 + h]);
        Some(pick)
    }

    /// Tries the candidate top-left corners in order for a label of size (w, h); takes the
    /// first free one, or the first one that stays inside the bounds, or the first.
    pub(crate) fn place(&mut self, (w, h): (i32, i32), candidates: &[(i32, i32)]) -> (i32, i32) {
        let boxed = |&(x, y): &(i32, i32)| [x, y, x + w, y + h];
        let pick = candidates
            .iter()
            .find(|c| self.free(&boxed(c)))
            .or_else(|| {
                candidates.iter().find(|c| {
                    let b = boxed(c);
                    self.bounds.is_none_or(|o| {
                        b[0] >= o[0] && b[1] >= o[1] && b[2] <= o[2] && b[3] <= o[3]
                    })
                })
            })
            .or(candidates.first())
            .copied()
            .unwrap_or((0, 0));
        self.taken.push(boxed(&pick));
        pick
    }

    /// Candidate top-left corners around a point for a label of size (w, h), `gap` away:
    /// right, left, above, below, then the diagonals, then farther out.
    pub(crate) fn around((x, y): (i32, i32), (w, h): (i32, i32), gap: i32) -> Vec<(i32, i32)> {
        let mut v = Vec::new();
        for k in [1, 2, 3] {
            let g = gap * k;
            v.extend([
                (x + g, y - h / 2),
                (x - g - w, y - h / 2),
                (x - w / 2, y - g - h),
                (x - w / 2, y + g),
                (x + g, y - g - h),
                (x - g - w, y - g - h),
                (x + g, y + g),
                (x - g - w, y + g),
            ]);
        }
        v
    }
}

/// Draws `s` with a translucent white box behind it, top-left at (x, y).
pub(crate) fn boxed_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    (w, h): (i32, i32),
    s: &str,
    f: &FontDesc<'_>,
    colour: RGBColor,
) -> DResult {
    root.draw(&Rectangle::new(
        [(x - 3, y - 2), (x + w + 3, y + h + 2)],
        WHITE.mix(0.85).filled(),
    ))
    .m()?;
    root.draw(&Text::new(
        s.to_string(),
        (x, y + h / 2),
        f.clone()
            .color(&colour)
            .pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .m()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Scales

/// "Nice" tick values covering lo..hi, at most about `max` of them (steps 1, 2, 2.5, 5 ×
/// 10^k).
pub(crate) fn nice_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || max == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / max as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| (hi - lo) / s <= max as f64)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).ceil() * step;
    let mut v = Vec::new();
    let mut t = start;
    while t <= hi + step * 1e-9 && v.len() < 1000 {
        v.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    v
}

/// The end of an axis that starts at 0 and must show `max`, rounded up to a nice tick.
pub(crate) fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let ticks = nice_ticks(0.0, max * 1.05, 6);
    let step = if ticks.len() >= 2 {
        ticks[1] - ticks[0]
    } else {
        max
    };
    (max * 1.05 / step).ceil() * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_max(812_000.0), 1_000_000.0);
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
    }

    #[test]
    fn placer_avoids_overlap() {
        let mut p = LabelPlacer::new([0, 0, 100, 100]);
        let a = p.place((20, 10), &[(10, 10), (40, 10)]);
        let b = p.place((20, 10), &[(10, 10), (40, 10)]);
        assert_eq!(a, (10, 10));
        assert_eq!(b, (40, 10));
    }
}
