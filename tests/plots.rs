//! Charts and report from a hand-made results folder: files exist, PNGs are 1600×900 and
//! not blank, SVGs carry their titles and axis labels, each chart's data matches the CSV
//! numbers, the report holds the target table, the findings and embedded images, and bad
//! input is an error naming file and line, never a panic.
//!
//! Set CORRIDOR_PLOTS_DEMO=/some/dir to also write the realistic folder and its charts
//! there, for looking at them.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use corridor::output::network::{read_links_csv, read_nodes_csv, write_network_csv};
use corridor::output::plots::{
    self, PlotError, PlotOptions, Results, bottleneck_series, comparison_series, draw_all,
    flow_transit_series, map_series, sweep_series, throughput_guides, throughput_series,
    throughput_targets, transit_series, utilization_heatmap,
};
use corridor::output::report::write_report;

/// Flows with their own transit rows (`subject_kind = flow`).
const FLOWS: [&str; 2] = ["titr-westbound", "caspian-south"];

const NODES: [(&str, &str, &str, &str, f64, f64); 9] = [
    ("china", "Urumqi (China)", "gateway", "CN", 43.8, 87.6),
    ("khorgos", "Khorgos", "border", "KZ", 44.2, 80.4),
    ("dostyk", "Dostyk", "border", "KZ", 45.3, 82.5),
    ("aktau", "Aktau", "port", "KZ", 43.6, 51.2),
    ("turkmenbashi", "Turkmenbashi", "port", "TM", 40.0, 53.0),
    ("alat", "Alat (Baku)", "port", "AZ", 40.1, 49.4),
    ("beyuk-kesik", "Beyuk-Kesik", "border", "AZ", 41.3, 45.3),
    ("poti", "Poti", "port", "GE", 42.2, 41.7),
    ("kars", "Kars", "terminal", "TR", 40.6, 43.1),
];

/// (id, from, to, mode, km, share of corridor flow)
const LINKS: [(&str, &str, &str, &str, f64, f64); 10] = [
    ("china-khorgos", "china", "khorgos", "rail", 670.0, 0.55),
    ("china-dostyk", "china", "dostyk", "rail", 480.0, 0.45),
    ("khorgos-aktau", "khorgos", "aktau", "rail", 3100.0, 0.40),
    ("dostyk-aktau", "dostyk", "aktau", "rail", 3300.0, 0.45),
    (
        "khorgos-turkmenbashi",
        "khorgos",
        "turkmenbashi",
        "rail",
        3400.0,
        0.15,
    ),
    ("aktau-alat", "aktau", "alat", "sea", 450.0, 0.85),
    (
        "turkmenbashi-alat",
        "turkmenbashi",
        "alat",
        "sea",
        300.0,
        0.15,
    ),
    (
        "alat-beyuk-kesik",
        "alat",
        "beyuk-kesik",
        "rail",
        480.0,
        1.0,
    ),
    (
        "beyuk-kesik-poti",
        "beyuk-kesik",
        "poti",
        "rail",
        360.0,
        0.6,
    ),
    (
        "beyuk-kesik-kars",
        "beyuk-kesik",
        "kars",
        "rail",
        300.0,
        0.4,
    ),
];

const SCENARIOS: [&str; 2] = ["baseline", "ebrd-investment"];

fn jitter(k: u64) -> f64 {
    // Deterministic noise in [-1, 1].
    let x = k
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

fn delivered(s: usize, y: i32) -> f64 {
    let end = if s == 0 { 800_000.0 } else { 880_000.0 };
    let t = (y - 2025) as f64 / 15.0;
    (77_000.0 * (end / 77_000.0f64).powf(t)).round()
}

/// The `subject_kind` of a test subject: the corridor, a node of `NODES` or a link.
fn kind_of(subject: &str) -> &'static str {
    if subject == "corridor" {
        "corridor"
    } else if FLOWS.contains(&subject) {
        "flow"
    } else if NODES.iter().any(|n| n.0 == subject) {
        "node"
    } else {
        "link"
    }
}

/// `Results::get` with the subject's kind as `kind_of` says.
fn get<'a>(
    r: &'a Results,
    scenario: &str,
    metric: &str,
    subject: &str,
    year: i32,
) -> Option<&'a corridor::output::plots::SummaryRecord> {
    let kind = corridor::metrics::SubjectKind::from_name(kind_of(subject)).unwrap();
    r.get(
        scenario,
        corridor::metrics::Metric::from_name(metric).unwrap(),
        &corridor::metrics::Subject::new(kind, subject),
        year,
    )
}

struct Csv(String);
impl Csv {
    fn row(&mut self, scenario: &str, year: i32, metric: &str, subject: &str, mean: f64, rel: f64) {
        let sd = (mean * rel).abs();
        let h = sd * 2.093 / (20f64).sqrt();
        writeln!(
            self.0,
            "{scenario},{year},{metric},{},{subject},{mean},{sd},{},{},20",
            kind_of(subject),
            mean - h,
            mean + h
        )
        .unwrap();
    }
}

/// A realistic results folder: two scenarios 2025–2040 on the real corridor.
fn realistic_folder(dir: &Path) {
    let mut sum =
        Csv("scenario,year,metric,subject_kind,subject,mean,sd,ci95_low,ci95_high,n\n".into());
    let mut k = 0u64;
    for (si, s) in SCENARIOS.iter().enumerate() {
        for y in 2025..=2040 {
            k += 1;
            let d = delivered(si, y);
            let t = (y - 2025) as f64 / 15.0;
            sum.row(s, y, "delivered_teu", "corridor", d, 0.03);
            sum.row(s, y, "created_teu", "corridor", (d * 1.04).round(), 0.03);
            let congestion = if si == 0 {
                1.0 + 0.5 * t * t
            } else {
                1.0 + 0.1 * t
            };
            let mean = 17.0 * congestion + jitter(k);
            sum.row(s, y, "transit_days_mean", "corridor", mean, 0.06);
            sum.row(s, y, "transit_days_p50", "corridor", mean * 0.88, 0.05);
            sum.row(s, y, "transit_days_p95", "corridor", mean * 1.7, 0.08);
            for (fi, f) in FLOWS.iter().enumerate() {
                let m = mean * (1.1 - 0.6 * fi as f64);
                sum.row(s, y, "transit_days_mean", f, m, 0.06);
                sum.row(s, y, "transit_days_p50", f, m * 0.9, 0.05);
                sum.row(s, y, "transit_days_p95", f, m * 1.6, 0.08);
            }
            for (i, n) in NODES.iter().enumerate() {
                let share = match n.0 {
                    "china" | "alat" | "beyuk-kesik" => 1.0,
                    "khorgos" => 0.55,
                    "dostyk" => 0.45,
                    "aktau" => 0.85,
                    "turkmenbashi" => 0.15,
                    "poti" => 0.6,
                    _ => 0.4,
                };
                sum.row(s, y, "handled_teu", n.0, (d * share).round(), 0.03);
                let base = 0.25 + 0.05 * i as f64;
                let mut u = (base + 0.55 * t * share).min(0.97);
                if si == 1 && n.0 == "aktau" && y >= 2028 {
                    u *= 0.75;
                }
                sum.row(s, y, "utilization", n.0, u, 0.04);
                if n.2 == "port" {
                    sum.row(s, y, "berth_utilization", n.0, (u * 0.9).min(0.98), 0.04);
                }
                let wait =
                    d * share * (2.0 + 60.0 * u.powi(6)) * if n.0 == "aktau" { 3.0 } else { 1.0 };
                sum.row(s, y, "wait_teu_hours", n.0, wait.round(), 0.1);
            }
            for (i, l) in LINKS.iter().enumerate() {
                sum.row(s, y, "carried_teu", l.0, (d * l.5).round(), 0.03);
                let u = (0.2 + 0.04 * i as f64 + 0.6 * t * l.5).min(0.96);
                sum.row(s, y, "utilization", l.0, u, 0.05);
                let wait =
                    d * l.5 * (4.0 + 30.0 * u.powi(4)) * if l.3 == "sea" { 2.5 } else { 1.0 };
                sum.row(s, y, "wait_teu_hours", l.0, wait.round(), 0.1);
            }
        }
    }
    fs::write(dir.join("summary.csv"), sum.0).unwrap();

    let mut tg = String::from(
        "scenario,target,year,metric,subject_kind,subject,threshold,mean,ci95_low,ci95_high,share_met,\
         first_year_met_mean,first_year_met_min,first_year_met_max,direction,n,first_year_met_n\n",
    );
    for (si, s) in SCENARIOS.iter().enumerate() {
        let d = delivered(si, 2040);
        let (share, fy) = if si == 0 {
            ("0.15", "2040,2040,2040,at_least,20,3")
        } else {
            ("1", "2039.2,2039,2040,at_least,20,20")
        };
        writeln!(
            tg,
            "{s},ebrd-2040,2040,delivered_teu,corridor,corridor,865000,{d},{},{},{share},{fy}",
            d - 9000.0,
            d + 9000.0
        )
        .unwrap();
        let a = delivered(si, 2028) * 0.85;
        writeln!(
            tg,
            "{s},aktau-3x-2028,2028,handled_teu,node,aktau,100000,{a},{},{},0.6,2028.4,2028,2029,at_least,20,18",
            a - 4000.0,
            a + 4000.0
        )
        .unwrap();
    }
    fs::write(dir.join("targets.csv"), tg).unwrap();

    let mut cmp = String::from(
        "scenario_a,scenario_b,year,metric,subject_kind,subject,mean_a,mean_b,mean_diff,ci95_low,ci95_high,n\n",
    );
    for y in 2025..=2040 {
        let (a, b) = (delivered(0, y), delivered(1, y));
        let d = b - a;
        writeln!(
            cmp,
            "baseline,ebrd-investment,{y},delivered_teu,corridor,corridor,{a},{b},{d},{},{},20",
            d - 2500.0 - d * 0.05,
            d + 2500.0 + d * 0.05
        )
        .unwrap();
        let t = (y - 2025) as f64 / 15.0;
        let dd = -17.0 * 0.4 * t * t;
        writeln!(
            cmp,
            "baseline,ebrd-investment,{y},transit_days_mean,corridor,corridor,20,18,{dd},{},{},20",
            dd - 0.6,
            dd + 0.6
        )
        .unwrap();
    }
    fs::write(dir.join("comparison.csv"), cmp).unwrap();

    let mut sw = String::from(
        "nodes.aktau.cranes,links.aktau-alat.fleet,scenario,year,metric,subject_kind,subject,mean,ci95_low,ci95_high,n\n",
    );
    for fleet in [4.0, 6.0, 8.0] {
        for cranes in [2.0, 4.0, 6.0, 8.0, 10.0] {
            let cap = (cranes * 90_000.0f64).min(fleet * 110_000.0);
            let m = cap.min(800_000.0) * 0.97;
            writeln!(
                sw,
                "{cranes},{fleet},\"base[nodes.aktau.cranes={cranes},links.aktau-alat.fleet={fleet}]\",2040,delivered_teu,corridor,corridor,{m},{},{},10",
                m * 0.96,
                m * 1.04
            )
            .unwrap();
        }
    }
    fs::write(dir.join("sweep.csv"), sw).unwrap();

    let mut nodes = String::from("scenario,id,name,kind,country,lat,lon\n");
    let mut links = String::from("scenario,id,from,to,mode,distance_km\n");
    for s in SCENARIOS {
        for n in NODES {
            writeln!(nodes, "{s},{},{},{},{},{},{}", n.0, n.1, n.2, n.3, n.4, n.5).unwrap();
        }
        for l in LINKS {
            writeln!(links, "{s},{},{},{},{},{}", l.0, l.1, l.2, l.3, l.4).unwrap();
        }
    }
    fs::write(dir.join("nodes.csv"), nodes).unwrap();
    fs::write(dir.join("links.csv"), links).unwrap();

    fs::write(
        dir.join("summary.json"),
        r#"{"format":"corridor-summary/1","program_version":"0.1.0","scenarios":[
{"scenario":"baseline","scenario_hash":"abc123","seed":1,"replications":20,"sweep":[],"conservation_violations":[]},
{"scenario":"ebrd-investment","scenario_hash":"def456","seed":1,"replications":20,"sweep":[],"conservation_violations":[]}]}"#,
    )
    .unwrap();
    fs::write(
        dir.join("provenance.json"),
        r#"{"program":"corridor","program_version":"0.1.0","operation":"run","started_at":"2025-06-01T09:12:44Z","finished_at":"2025-06-01T09:20:02Z","wall_seconds":438.2,"threads":8,"shard":null,"complete":true}"#,
    )
    .unwrap();
}

fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height, buf)
}

fn variance(rgb: &[u8]) -> f64 {
    let lum: Vec<f64> = rgb
        .chunks(3)
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .collect();
    let m = lum.iter().sum::<f64>() / lum.len() as f64;
    lum.iter().map(|v| (v - m).powi(2)).sum::<f64>() / lum.len() as f64
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn draws_every_chart_as_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let files = draw_all(dir.path(), &PlotOptions::default()).unwrap();
    let n = names(&files);
    for stem in [
        "throughput",
        "transit-time",
        "transit-flows",
        "utilization-baseline",
        "utilization-ebrd-investment",
        "bottlenecks-baseline",
        "map-baseline",
        "map-ebrd-investment",
        "sweep",
        "comparison",
    ] {
        for ext in ["png", "svg"] {
            let f = format!("{stem}.{ext}");
            assert!(n.contains(&f), "{f} missing from {n:?}");
            assert!(dir.path().join("plots").join(&f).is_file());
        }
    }
    for f in files.iter().filter(|p| p.extension().unwrap() == "png") {
        let (w, h, rgb) = decode(f);
        assert_eq!((w, h), (1600, 900), "{}", f.display());
        let v = variance(&rgb);
        assert!(v > 300.0, "{} looks blank (variance {v})", f.display());
        // Text is drawn: dark pixels exist in the title band.
        let dark_in_title = rgb[..1600 * 90 * 3]
            .chunks(3)
            .filter(|p| p[0] < 80 && p[1] < 80 && p[2] < 80)
            .count();
        assert!(dark_in_title > 2000, "{}: no title text", f.display());
    }
    let svg = |name: &str| fs::read_to_string(dir.path().join("plots").join(name)).unwrap();
    let t = svg("throughput.svg");
    for s in [
        "Container throughput of the corridor",
        "Delivered TEU per year",
        "Year",
        "ebrd-2040 (2040): 865,000 TEU",
        "baseline",
        "800,000",
    ] {
        assert!(t.contains(s), "throughput.svg lacks {s:?}");
    }
    assert!(svg("transit-time.svg").contains("Transit time, days"));
    assert!(svg("utilization-baseline.svg").contains("Utilization of handling, berths and lines"));
    assert!(svg("utilization-baseline.svg").contains("Aktau: berths"));
    assert!(svg("bottlenecks-baseline.svg").contains("Share of all waiting, % of TEU-hours"));
    assert!(svg("transit-flows.svg").contains("Transit time per flow"));
    assert!(svg("transit-flows.svg").contains("Flow titr-westbound"));
    assert!(svg("map-baseline.svg").contains("Lambert conformal conic"));
    assert!(svg("map-baseline.svg").contains("highest utilization"));
    assert!(svg("map-baseline.svg").contains("Beyuk-Kesik"));
    assert!(svg("sweep.svg").contains("nodes.aktau.cranes"));
    assert!(svg("comparison.svg").contains("Δ delivered TEU per year"));

    if let Some(demo) = std::env::var_os("CORRIDOR_PLOTS_DEMO") {
        let demo = PathBuf::from(demo);
        fs::create_dir_all(&demo).unwrap();
        realistic_folder(&demo);
        draw_all(&demo, &PlotOptions::default()).unwrap();
        write_report(&demo).unwrap();
    }
}

#[test]
fn chart_data_matches_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let r = Results::load(dir.path()).unwrap();
    let sc: Vec<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();

    let th = throughput_series(&r, &sc);
    assert_eq!(th.len(), 2);
    assert_eq!(th[0].label, "baseline");
    assert_eq!(th[0].points.len(), 16);
    let p = th[0].points[0];
    assert_eq!((p.0, p.1), (2025.0, 77_000.0));
    assert_eq!(th[0].points[15].1, 800_000.0);
    assert!(p.2 < p.1 && p.3 > p.1);
    let marks = throughput_targets(&r, &sc);
    assert_eq!(
        marks.len(),
        2,
        "targets shared by both scenarios appear once"
    );
    assert_eq!(marks[0].threshold, 865_000.0);
    assert_eq!(marks[0].label, "ebrd-2040 (2040): 865,000 TEU");
    assert_eq!(marks[1].label, "aktau-3x-2028 (2028): 100,000 TEU at Aktau");

    let tr = transit_series(&r, &sc);
    let row = get(&r, "baseline", "transit_days_p95", "corridor", 2030).unwrap();
    let tp = tr[0].points.iter().find(|p| p.year == 2030).unwrap();
    assert_eq!(tp.p95, row.mean);

    // Per flow: every flow, every scenario, the CSV's numbers.
    let ft = flow_transit_series(&r, &sc);
    assert_eq!(
        ft.iter().map(|f| f.flow.as_str()).collect::<Vec<_>>(),
        FLOWS.to_vec()
    );
    for f in &ft {
        assert_eq!(f.series.len(), SCENARIOS.len());
        for (s, series) in SCENARIOS.iter().zip(&f.series) {
            assert_eq!(series.scenario, *s);
            for p in &series.points {
                let v = |m: &str| get(&r, s, m, &f.flow, p.year).unwrap();
                assert_eq!(p.mean, v("transit_days_mean").mean);
                assert_eq!(p.mean_ci95_low, v("transit_days_mean").ci95_low);
                assert_eq!(p.mean_ci95_high, v("transit_days_mean").ci95_high);
                assert_eq!(p.p50, v("transit_days_p50").mean);
                assert_eq!(p.p95, v("transit_days_p95").mean);
            }
        }
    }
    // The corridor series is not mixed with the flows'.
    assert_eq!(tr.len(), SCENARIOS.len());
    assert_eq!(tr[0].points.len(), 16);

    let h = utilization_heatmap(&r, "baseline").unwrap();
    assert_eq!(h.years.len(), 16);
    // 9 node rows + 4 port berth rows + 10 links.
    assert_eq!(h.rows.len(), 23);
    let aktau = h
        .rows
        .iter()
        .find(|x| x.subject == "aktau" && x.metric.name() == "berth_utilization")
        .unwrap();
    assert_eq!(aktau.label, "Aktau: berths");
    assert_eq!(
        aktau.values[3],
        get(&r, "baseline", "berth_utilization", "aktau", 2028)
            .unwrap()
            .mean
    );

    let b = bottleneck_series(&r, "baseline", None).unwrap();
    assert_eq!(b.years, vec![2028, 2040]);
    for k in 0..2 {
        let total: f64 = b.bars.iter().map(|x| x.shares[k]).sum();
        assert!((total - 1.0).abs() < 1e-9, "shares sum to {total}");
        let sum: f64 = b.bars.iter().map(|x| x.teu_hours[k]).sum();
        assert!((sum - b.totals[k]).abs() < 1e-6 * b.totals[k]);
    }
    assert!(b.bars.len() <= plots::MAX_BARS);
    assert!(
        b.bars
            .windows(2)
            .take(b.bars.len() - 2)
            .all(|w| w[0].shares[1] >= w[1].shares[1])
    );
    let direct = get(&r, "baseline", "wait_teu_hours", &b.bars[0].subject, 2040)
        .unwrap()
        .mean;
    assert_eq!(b.bars[0].teu_hours[1], direct);

    let m = map_series(&r, "baseline", None).unwrap();
    assert_eq!(m.year, 2040);
    assert_eq!(m.nodes.len(), 9);
    let aa = m.links.iter().find(|l| l.id == "aktau-alat").unwrap();
    assert_eq!(
        aa.carried_teu,
        get(&r, "baseline", "carried_teu", "aktau-alat", 2040)
            .unwrap()
            .mean
    );
    let m28 = map_series(&r, "baseline", Some(2028)).unwrap();
    assert_eq!(m28.year, 2028);

    let sw = sweep_series(&r, &PlotOptions::default()).unwrap();
    assert_eq!(sw.axis, "nodes.aktau.cranes");
    assert_eq!(sw.year, 2040);
    assert_eq!(sw.series.len(), 3);
    // One other parameter: the legend heading names it, the entries are its values.
    assert_eq!(sw.others, vec!["aktau-alat fleet".to_string()]);
    assert_eq!(sw.series[0].label, "= 4");
    assert_ne!(sw.series[0].label, sw.series[1].label);
    assert!(sw.integer_axis(), "cranes are whole numbers: integer ticks");
    assert!(!sw.is_flat());
    assert_eq!(sw.series[0].points.len(), 5);
    assert_eq!(sw.series[0].points[0].1, 2.0 * 90_000.0 * 0.97);

    let c = comparison_series(&r);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].metric, "delivered_teu");
    assert_eq!(c[0].baseline, "baseline");
    assert_eq!(c[0].series[0].label, "ebrd-investment");
    assert_eq!(
        c[0].series[0].points[15].1,
        delivered(1, 2040) - delivered(0, 2040)
    );
}

#[test]
fn report_has_targets_findings_and_embedded_charts() {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let (md, html) = write_report(dir.path()).unwrap();
    let md = fs::read_to_string(md).unwrap();
    let html = fs::read_to_string(html).unwrap();
    assert!(
        md.contains("| baseline | ebrd-2040 | corridor: TEU delivered | 2040 | ≥ 865,000 TEU | 800,000 TEU | 791,000 – 809,000 TEU | 3 of 20 (15%) | 2040 |"),
        "{md}"
    );
    assert!(md.contains("| ebrd-investment | aktau-3x-2028 |"));
    assert!(
        md.contains("baseline — Target ebrd-2040 (corridor: TEU delivered ≥ 865,000 TEU in 2040): unlikely to be met — met in 2040 by 3 of 20 replications (15%)"),
        "{md}"
    );
    assert!(
        md.contains("baseline — What limits it in 2040: Aktau, where"),
        "{md}"
    );
    assert!(
        md.contains("The most heavily used resource in 2040 is"),
        "{md}"
    );
    assert!(
        md.contains(
            "against baseline, ebrd-investment changes corridor deliveries in 2040 by +80,000 TEU"
        ),
        "{md}"
    );
    // The TEU-by-year table, with demand and the share served.
    assert!(
        md.contains("| baseline | 2025 | 80,080 TEU | 77,000 TEU | 75,919 – 78,081 TEU | 96% |"),
        "{md}"
    );
    // Short names only: no full node names in the findings.
    assert!(!md.contains("Baku International"), "{md}");
    assert!(md.contains("![Throughput](plots/throughput.png)"));
    // The report stays deterministic: wall-clock facts live in provenance.json only.
    assert!(!md.contains("Wall-clock"));
    assert!(md.contains("provenance.json"));
    assert!(md.contains("| baseline | 1 | 20 | abc123 | none |"));
    assert!(html.contains("data:image/png;base64,"));
    assert!(html.contains("<td>ebrd-2040</td>"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("src=\"plots/"), "images must be embedded");
}

#[test]
fn absent_data_skips_charts() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        draw_all(dir.path(), &PlotOptions::default())
            .unwrap()
            .is_empty()
    );
    // Only a summary with corridor throughput: throughput chart only, no map, no sweep.
    fs::write(
        dir.path().join("summary.csv"),
        "scenario,year,metric,subject_kind,subject,mean,sd,ci95_low,ci95_high,n\n\
         s,2025,delivered_teu,corridor,corridor,100,,,,1\n\
         s,2026,delivered_teu,corridor,corridor,,,,,0\n\
         s,2027,delivered_teu,corridor,corridor,300,10,280,320,5\n",
    )
    .unwrap();
    let n = names(&draw_all(dir.path(), &PlotOptions::default()).unwrap());
    assert_eq!(n, vec!["throughput.png", "throughput.svg"]);
    let r = Results::load(dir.path()).unwrap();
    let th = throughput_series(&r, &["s".to_string()]);
    assert_eq!(th[0].points.len(), 2, "the NaN year is absent");
    assert!(th[0].points[0].2.is_nan());
    let (md, _) = write_report(dir.path()).unwrap();
    let md = fs::read_to_string(md).unwrap();
    assert!(md.contains("No scenario of this run has targets."));
    assert!(md.contains("provenance unknown"));
}

#[test]
fn malformed_csv_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("summary.csv"),
        "scenario,year,metric,subject_kind,subject,mean,sd,ci95_low,ci95_high,n\n\
         s,2025,delivered_teu,corridor,corridor,100,,,,1\n\
         s,20x6,delivered_teu,corridor,corridor,100,,,,1\n",
    )
    .unwrap();
    let e = draw_all(dir.path(), &PlotOptions::default()).unwrap_err();
    assert!(
        matches!(e, PlotError::Read(ref r) if r.line == Some(3)),
        "{e}"
    );
    assert!(e.to_string().contains("summary.csv:3"), "{e}");

    fs::write(dir.path().join("summary.csv"), "scenario,year\ns,2025\n").unwrap();
    let e = draw_all(dir.path(), &PlotOptions::default()).unwrap_err();
    assert!(e.to_string().contains("missing column `metric`"), "{e}");

    fs::write(dir.path().join("summary.csv"), "").unwrap();
    assert!(draw_all(dir.path(), &PlotOptions::default()).is_err());

    fs::write(
        dir.path().join("summary.csv"),
        "scenario,year,metric,subject_kind,subject,mean,sd,ci95_low,ci95_high,n\ns,2025,a,corridor,b,1,2\n",
    )
    .unwrap();
    let e = draw_all(dir.path(), &PlotOptions::default()).unwrap_err();
    assert!(e.to_string().contains("summary.csv:2"), "{e}");

    fs::write(
        dir.path().join("summary.csv"),
        b"scenario,year\n\xff\xfe,1\n",
    )
    .unwrap();
    assert!(draw_all(dir.path(), &PlotOptions::default()).is_err());

    fs::remove_file(dir.path().join("summary.csv")).unwrap();
    fs::write(
        dir.path().join("nodes.csv"),
        "scenario,id,name,kind,country,lat,lon\ns,a,A,port,KZ,north,1\n",
    )
    .unwrap();
    let e = draw_all(dir.path(), &PlotOptions::default()).unwrap_err();
    assert!(e.to_string().contains("nodes.csv:2: column `lat`"), "{e}");
}

#[test]
fn network_tables_round_trip() {
    let toml_a = r#"
        [run]
        name = "a"
        first_year = 2025
        last_year = 2030
        [[nodes]]
        id = "aktau"
        name = "Aktau, port"
        kind = "port"
        country = "KZ"
        lat = 43.6
        lon = 51.2
        [[nodes]]
        id = "alat"
        [[links]]
        id = "aktau-alat"
        from = "aktau"
        to = "alat"
        mode = "sea"
        distance_km = 450.5
    "#;
    let a: corridor::scenario::ScenarioFile = toml::from_str(toml_a).unwrap();
    let mut b = a.clone();
    b.nodes.pop();
    let dir = tempfile::tempdir().unwrap();
    write_network_csv(dir.path(), &[("a", &a), ("b[x=1,y=2]", &b)]).unwrap();
    let text = fs::read_to_string(dir.path().join("nodes.csv")).unwrap();
    assert_eq!(
        text,
        "scenario,id,name,kind,country,lat,lon\n\
         a,aktau,\"Aktau, port\",port,KZ,43.6,51.2\n\
         a,alat,,terminal,,,\n\
         \"b[x=1,y=2]\",aktau,\"Aktau, port\",port,KZ,43.6,51.2\n"
    );
    let nodes = read_nodes_csv(&dir.path().join("nodes.csv"))
        .unwrap()
        .unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[1].name, "alat", "an empty name reads back as the id");
    assert!(nodes[1].lat.is_nan());
    assert_eq!(nodes[2].scenario, "b[x=1,y=2]");
    let links = read_links_csv(&dir.path().join("links.csv"))
        .unwrap()
        .unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].distance_km, 450.5);
    assert_eq!(links[1].mode, "sea");
    assert!(
        read_nodes_csv(&dir.path().join("none.csv"))
            .unwrap()
            .is_none()
    );
}

/// Redraws the charts and report of any results folder: `CORRIDOR_PLOTS_DIR=/path cargo
/// test --test plots -- --ignored redraw`.
#[test]
#[ignore]
fn redraw_folder_from_env() {
    let Some(dir) = std::env::var_os("CORRIDOR_PLOTS_DIR") else {
        return;
    };
    let files = draw_all(Path::new(&dir), &PlotOptions::default()).unwrap();
    write_report(Path::new(&dir)).unwrap();
    eprintln!("{} chart files", files.len());
}

/// Every number of two or more digits that a finding quotes (TEU, hours, TEU-hours,
/// years) is a value of the folder's CSV tables, rounded as the report rounds it; shares
/// (followed by `%`) and replication counts are computed and left to the other tests.
#[test]
fn findings_quote_numbers_that_are_in_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let results = Results::load(dir.path()).unwrap();
    let findings = corridor::output::report::findings(&results, &PlotOptions::default());
    assert!(findings.len() >= 5, "{findings:?}");
    let mut csv_values: Vec<f64> = Vec::new();
    for f in ["summary.csv", "targets.csv", "comparison.csv"] {
        let text = fs::read_to_string(dir.path().join(f)).unwrap();
        for line in text.lines().skip(1) {
            for cell in line.split(',') {
                if let Ok(v) = cell.parse::<f64>() {
                    csv_values.push(v);
                }
            }
        }
    }
    let quoted = |token: &str, decimals: usize| {
        csv_values.iter().any(|v| {
            let s = format!("{:.*}", decimals, v.abs());
            s == token
        })
    };
    let mut checked = 0;
    for f in &findings {
        let chars: Vec<char> = f.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_alphanumeric()) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || ((chars[i] == ',' || chars[i] == '.')
                        && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())))
            {
                i += 1;
            }
            let token: String = chars[start..i].iter().filter(|c| **c != ',').collect();
            let percent = chars.get(i) == Some(&'%');
            let count = f[f.char_indices().nth(i).map_or(f.len(), |(b, _)| b)..]
                .trim_start()
                .starts_with("of ")
                || f[f.char_indices().nth(i).map_or(f.len(), |(b, _)| b)..]
                    .starts_with(" replication");
            if percent || count || token.len() < 3 {
                continue;
            }
            let decimals = token.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(
                quoted(&token, decimals),
                "finding quotes {token}, which no CSV value rounds to: {f}"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} numbers checked in {findings:?}"
    );
}

/// The HTML report renders: one document, balanced tags, every table row as wide as its
/// header, every image an embedded PNG of the charts' size.
#[test]
fn report_html_renders_images_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let (_, html) = write_report(dir.path()).unwrap();
    let html = fs::read_to_string(html).unwrap();
    for tag in [
        "html", "head", "body", "table", "thead", "tbody", "tr", "ul", "li", "figure",
    ] {
        let open =
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close}");
    }
    let mut tables = 0;
    for table in html.split("<table>").skip(1) {
        let table = &table[..table.find("</table>").unwrap()];
        let header = table.matches("<th>").count();
        assert!(header > 0);
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("<td>").count(), header, "{row}");
        }
        tables += 1;
    }
    assert!(
        tables >= 3,
        "findings, throughput, targets and provenance tables"
    );
    let mut images = 0;
    for img in html.split("<img ").skip(1) {
        let src = img
            .split("src=\"data:image/png;base64,")
            .nth(1)
            .expect("embedded PNG");
        let b64 = &src[..src.find('"').unwrap()];
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (plots::WIDTH, plots::HEIGHT));
        images += 1;
    }
    assert!(images >= 6, "{images} images");
}

/// The throughput chart draws each scenario's demand, and a target on a node against that
/// node's own line, with the CSV's numbers.
#[test]
fn throughput_targets_sit_on_their_own_measure() {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let r = Results::load(dir.path()).unwrap();
    let scenarios = vec!["baseline".to_string()];
    let guides = throughput_guides(&r, &scenarios);
    let demand = guides
        .iter()
        .find(|g| g.kind == plots::GuideKind::Demand)
        .expect("a demand line");
    let created = get(&r, "baseline", "created_teu", "corridor", 2030)
        .unwrap()
        .mean;
    assert!(demand.points.contains(&(2030.0, created)));
    let aktau = guides
        .iter()
        .find(|g| g.kind == plots::GuideKind::TargetSubject)
        .expect("the aktau-3x-2028 target's own line");
    assert_eq!(aktau.label, "Aktau: TEU handled");
    let handled = get(&r, "baseline", "handled_teu", "aktau", 2028)
        .unwrap()
        .mean;
    assert!(aktau.points.contains(&(2028.0, handled)));
    // The corridor target has no line of its own: it is measured on the corridor line.
    assert_eq!(
        guides
            .iter()
            .filter(|g| g.kind == plots::GuideKind::TargetSubject)
            .count(),
        1
    );
}

/// The report's "what binds" finding names the largest `*_binding_teu_hours` of the last
/// year and quotes its share of all waiting charged to capacities, as in the CSV.
#[test]
fn the_binding_finding_is_the_largest_binding_metric() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("summary.csv"),
        "scenario,year,metric,subject_kind,subject,mean,sd,ci95_low,ci95_high,n\n\
         s,2029,berth_binding_teu_hours,node,aktau,900,,,,1\n\
         s,2030,delivered_teu,corridor,corridor,1000,,,,1\n\
         s,2030,berth_binding_teu_hours,node,aktau,300,,,,1\n\
         s,2030,fleet_binding_teu_hours,link,aktau-alat,600,,,,1\n\
         s,2030,wagon_binding_teu_hours,wagon_pool,kz-1520,100,,,,1\n",
    )
    .unwrap();
    let results = Results::load(dir.path()).unwrap();
    let findings = corridor::output::report::findings(&results, &PlotOptions::default());
    let binds = findings
        .iter()
        .find(|f| f.starts_with("What binds"))
        .unwrap_or_else(|| panic!("no binding finding in {findings:?}"));
    assert!(
        binds.starts_with(
            "What binds in 2030: the fleet of aktau-alat, to which 60% of the TEU-hours \
             waited in the corridor are charged (600 TEU-hours); then the berths of aktau \
             (30%) and the wagon sets of pool kz-1520 (10%)."
        ),
        "{binds}"
    );
}

#[test]
fn basemap_covers_the_corridor_region() {
    let b = plots::basemap();
    assert!(b.bbox[0] <= 38.0 && b.bbox[2] >= 90.0, "{:?}", b.bbox);
    assert!(b.bbox[1] <= 35.0 && b.bbox[3] >= 50.0, "{:?}", b.bbox);
    let pts: Vec<(f64, f64)> = b.land.iter().flat_map(|(_, r)| r.iter().copied()).collect();
    let lon = pts.iter().map(|p| p.0);
    let lat = pts.iter().map(|p| p.1);
    assert!(lon.clone().fold(f64::INFINITY, f64::min) <= 38.0);
    assert!(lon.fold(f64::NEG_INFINITY, f64::max) >= 90.0);
    assert!(lat.clone().fold(f64::INFINITY, f64::min) <= 35.0);
    assert!(lat.fold(f64::NEG_INFINITY, f64::max) >= 50.0);
    for c in [
        "Kazakhstan",
        "Azerbaijan",
        "Georgia",
        "Turkey",
        "China",
        "Turkmenistan",
    ] {
        assert!(b.land.iter().any(|(n, _)| n == c), "{c} missing");
    }
    // The Caspian is water: its coast passes near Baku and near Aktau.
    let near = |lon: f64, lat: f64| {
        b.coasts
            .iter()
            .flatten()
            .any(|p| (p.0 - lon).abs() < 0.3 && (p.1 - lat).abs() < 0.3)
    };
    assert!(near(49.9, 40.4), "no coast near Baku");
    assert!(near(51.2, 43.6), "no coast near Aktau");
    assert!(!b.borders.is_empty());
}

fn realistic_map() -> plots::MapData {
    let dir = tempfile::tempdir().unwrap();
    realistic_folder(dir.path());
    let r = Results::load(dir.path()).unwrap();
    map_series(&r, "baseline", None).unwrap()
}

#[test]
fn map_projection_places_cities_in_order_inside_the_canvas() {
    let m = realistic_map();
    let lay = m.layout();
    let detail = lay
        .detail
        .expect("the Caucasus and Caspian get their own panel");
    let inside = |p: (f64, f64)| p.0 > 0.0 && p.0 < 1600.0 && p.1 > 0.0 && p.1 < 900.0;
    // Baku (49.9 E 40.4 N) is west and south of Aktau (51.2 E 43.6 N), Poti west of both.
    for v in [lay.overview, detail] {
        let (baku, aktau, poti) = (v.px(49.9, 40.4), v.px(51.2, 43.6), v.px(41.7, 42.2));
        assert!(inside(baku) && inside(aktau) && inside(poti));
        assert!(baku.0 < aktau.0 && baku.1 > aktau.1, "{baku:?} {aktau:?}");
        assert!(poti.0 < baku.0);
        assert!(v.contains(baku, 0.0) && v.contains(aktau, 0.0));
    }
    // Urumqi is east of Aktau, in the overview only; the detail is enlarged.
    let urumqi = lay.overview.px(87.6, 43.8);
    assert!(lay.overview.contains(urumqi, 0.0));
    assert!(!detail.contains(detail.px(87.6, 43.8), 0.0));
    let span = |v: plots::MapView| {
        let (a, b) = (v.px(51.2, 43.6), v.px(49.4, 40.1));
        (a.0 - b.0).hypot(a.1 - b.1)
    };
    assert!(span(detail) > 2.0 * span(lay.overview));
    // Every node is drawn with its name where pixel_of says, inside the canvas.
    for n in &m.nodes {
        assert!(inside(m.pixel_of(n.lon, n.lat)), "{}", n.id);
    }
}

#[test]
fn map_node_labels_do_not_overlap() {
    let m = realistic_map();
    let labels = m.node_labels();
    assert_eq!(labels.len(), m.nodes.len(), "every node is named once");
    for (i, a) in labels.iter().enumerate() {
        let r = a.rect;
        assert!(
            r[0] >= 0 && r[1] >= 0 && r[2] <= 1600 && r[3] <= 900,
            "{a:?}"
        );
        for b in &labels[i + 1..] {
            let s = b.rect;
            let apart = r[2] <= s[0] || s[2] <= r[0] || r[3] <= s[1] || s[3] <= r[1];
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
    assert!(m.busiest_link().is_some());
}
