//! Parameter sweeps: `--set path=v1,v2,...` axes, their full cartesian grid, and the
//! names of its points.
//!
//! A sweep is just a batch with one job per grid point; this module only parses, names
//! and orders the points. It must never apply a value to a scenario (the sweep plan does
//! that through `scenario::params`, which also says whether a path exists).

use std::collections::BTreeSet;

/// Why a `--set` argument or a set of axes is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    #[error("`{0}` is not of the form path=value[,value...] (e.g. nodes.aktau.cranes=2,4,6)")]
    Syntax(String),
    #[error("`{path}`: `{value}` is not a finite number or a range start:stop:step")]
    BadValue { path: String, value: String },
    #[error("`{path}`: value {value} is given twice")]
    Duplicate { path: String, value: String },
    #[error("`{path}`: range `{range}` {message}")]
    BadRange {
        path: String,
        range: String,
        message: String,
    },
    #[error("path `{0}` is swept twice; give all its values in one --set")]
    DuplicatePath(String),
    #[error(
        "the grid has {points} points (the product of the axes' value counts {counts}); the limit is {MAX_GRID_POINTS}: each point is a scenario with its own folder of replications, summary rows and charts, so a larger grid takes gigabytes; sweep fewer values, or split the sweep into several runs"
    )]
    TooManyPoints { points: String, counts: String },
}

/// The most points a grid may have (the product of the axes' value counts; each axis is
/// also capped by `MAX_RANGE_VALUES`). A 1000 × 1000 grid took 5.9 GB, a 420 MB `batch.json`
/// and a million folders.
pub const MAX_GRID_POINTS: usize = 10_000;

/// The most values one range may expand to: a typo such as `0:1e6:1` should fail fast,
/// not start a million scenarios.
pub const MAX_RANGE_VALUES: usize = 10_000;

fn decimals(s: &str) -> usize {
    let mantissa = s.split(['e', 'E']).next().unwrap_or("");
    mantissa.split_once('.').map(|(_, f)| f.len()).unwrap_or(0)
}

/// Expands `start:stop:step` (inclusive of `stop` when the steps land on it). Values are
/// rounded to the decimals written in `start` and `step`, so `0.1:0.5:0.1` gives 0.3 and
/// not 0.30000000000000004 (which would then appear in scenario names and tables).
fn expand_range(path: &str, text: &str) -> Result<Vec<f64>, SweepError> {
    let bad = |message: &str| SweepError::BadRange {
        path: path.to_string(),
        range: text.to_string(),
        message: message.to_string(),
    };
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(bad("must have three parts start:stop:step"));
    }
    let num = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(a), Some(b), Some(step)) = (num(parts[0]), num(parts[1]), num(parts[2])) else {
        return Err(bad("has a part that is not a finite number"));
    };
    if step == 0.0 || (b - a) * step < 0.0 {
        return Err(bad("has a step that never reaches stop"));
    }
    let count = ((b - a) / step + 1e-9).floor() + 1.0;
    if count > MAX_RANGE_VALUES as f64 {
        return Err(bad(&format!(
            "expands to more than {MAX_RANGE_VALUES} values"
        )));
    }
    let d = decimals(parts[0]).max(decimals(parts[2]));
    (0..count as usize)
        .map(|i| {
            let v = a + i as f64 * step;
            format!("{v:.d$}")
                .parse::<f64>()
                .map_err(|_| bad("cannot be rounded"))
        })
        .collect()
}

/// Parses one sweep axis, `path=v1,v2,...`, where each item is a number or an inclusive
/// range `start:stop:step`. Values keep the order given; a value given twice is an error
/// (it would make two identically named scenarios).
pub fn parse_set(s: &str) -> Result<(String, Vec<f64>), SweepError> {
    let (path, values) = s
        .split_once('=')
        .ok_or_else(|| SweepError::Syntax(s.to_string()))?;
    let path = path.trim();
    let path_ok = !path.is_empty()
        && !path
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '[' || c == ']');
    if !path_ok || values.trim().is_empty() {
        return Err(SweepError::Syntax(s.to_string()));
    }
    let mut out = Vec::new();
    for item in values.split(',') {
        let item = item.trim();
        if item.contains(':') {
            out.extend(expand_range(path, item)?);
        } else {
            match item.parse::<f64>() {
                Ok(v) if v.is_finite() => out.push(v),
                _ => {
                    return Err(SweepError::BadValue {
                        path: path.to_string(),
                        value: item.to_string(),
                    });
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    for v in &out {
        // -0 and 0 name the same scenario, so compare normalised bit patterns.
        let key = if *v == 0.0 { 0u64 } else { v.to_bits() };
        if !seen.insert(key) {
            return Err(SweepError::Duplicate {
                path: path.to_string(),
                value: format!("{v}"),
            });
        }
    }
    Ok((path.to_string(), out))
}

/// Rejects axes that sweep the same path twice, and grids of more than `MAX_GRID_POINTS`
/// points (checked on the product, before any point is built).
pub fn check_axes(axes: &[(String, Vec<f64>)]) -> Result<(), SweepError> {
    let mut seen = BTreeSet::new();
    for (p, _) in axes {
        if !seen.insert(p.as_str()) {
            return Err(SweepError::DuplicatePath(p.clone()));
        }
    }
    let points = axes
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
    if points.is_none_or(|n| n > MAX_GRID_POINTS) {
        let counts: Vec<String> = axes.iter().map(|(_, v)| v.len().to_string()).collect();
        return Err(SweepError::TooManyPoints {
            points: points.map_or_else(|| "too many".to_string(), |n| n.to_string()),
            counts: counts.join(" × "),
        });
    }
    Ok(())
}

/// The full cartesian product of the axes, the first axis varying slowest (like nested
/// loops in the order the axes were given). No axes give one empty point (the base
/// scenario); an axis without values gives no points.
pub fn grid(axes: &[(String, Vec<f64>)]) -> Vec<Vec<(String, f64)>> {
    let mut points: Vec<Vec<(String, f64)>> = vec![Vec::new()];
    for (path, values) in axes {
        let mut next = Vec::with_capacity(points.len() * values.len());
        for p in &points {
            for &v in values {
                let mut q = p.clone();
                q.push((path.clone(), v));
                next.push(q);
            }
        }
        points = next;
    }
    points
}

/// The scenario name of a grid point: `base[path=value,path=value]` (just `base` for the
/// empty point). Values use the shortest round-trip form, so 4.0 is written `4`.
pub fn sweep_name(base: &str, point: &[(String, f64)]) -> String {
    if point.is_empty() {
        return base.to_string();
    }
    let inner: Vec<String> = point.iter().map(|(p, v)| format!("{p}={v}")).collect();
    let full = format!("{base}[{}]", inner.join(","));
    // The name becomes a folder and a part of chart file names; many axes with long paths
    // would pass the file systems' 255-byte limit, so such a point is named by a hash of
    // its full name (sweep.csv still has one column per axis with its value).
    if full.len() > MAX_SWEEP_NAME_BYTES {
        let h = crate::engine::rng::SourceId::from_name(&full).0;
        return format!("{base}[{h:016x}]");
    }
    full
}

/// Longest sweep point name kept readable; see `sweep_name`.
pub const MAX_SWEEP_NAME_BYTES: usize = 128;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_lists_and_ranges() {
        assert_eq!(
            parse_set("nodes.aktau.cranes=2,4,6").unwrap(),
            ("nodes.aktau.cranes".to_string(), vec![2.0, 4.0, 6.0])
        );
        assert_eq!(parse_set(" x = 1.5 ").unwrap().1, vec![1.5]);
        assert_eq!(
            parse_set("x=0.1:0.5:0.1").unwrap().1,
            vec![0.1, 0.2, 0.3, 0.4, 0.5]
        );
        assert_eq!(parse_set("x=10:4:-3").unwrap().1, vec![10.0, 7.0, 4.0]);
        assert_eq!(parse_set("x=1:2:5").unwrap().1, vec![1.0]);
        assert_eq!(parse_set("x=1,3:5:1").unwrap().1, vec![1.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn parse_errors() {
        assert!(matches!(parse_set("x"), Err(SweepError::Syntax(_))));
        assert!(matches!(parse_set("=1"), Err(SweepError::Syntax(_))));
        assert!(matches!(parse_set("x="), Err(SweepError::Syntax(_))));
        assert!(matches!(parse_set("a b=1"), Err(SweepError::Syntax(_))));
        assert!(matches!(
            parse_set("x=1,,2"),
            Err(SweepError::BadValue { .. })
        ));
        assert!(matches!(
            parse_set("x=nan"),
            Err(SweepError::BadValue { .. })
        ));
        assert!(matches!(
            parse_set("x=inf"),
            Err(SweepError::BadValue { .. })
        ));
        assert!(matches!(
            parse_set("x=2,2.0"),
            Err(SweepError::Duplicate { .. })
        ));
        assert!(matches!(
            parse_set("x=1:5:-1"),
            Err(SweepError::BadRange { .. })
        ));
        assert!(matches!(
            parse_set("x=1:5:0"),
            Err(SweepError::BadRange { .. })
        ));
        assert!(matches!(
            parse_set("x=0:1e9:1"),
            Err(SweepError::BadRange { .. })
        ));
        assert!(matches!(
            parse_set("x=1:5"),
            Err(SweepError::BadRange { .. })
        ));
    }

    #[test]
    fn grid_order_and_names() {
        let axes = vec![
            ("a".to_string(), vec![1.0, 2.0]),
            ("b".to_string(), vec![10.0, 20.0, 30.0]),
        ];
        let g = grid(&axes);
        let flat: Vec<(f64, f64)> = g.iter().map(|p| (p[0].1, p[1].1)).collect();
        assert_eq!(
            flat,
            vec![
                (1.0, 10.0),
                (1.0, 20.0),
                (1.0, 30.0),
                (2.0, 10.0),
                (2.0, 20.0),
                (2.0, 30.0)
            ]
        );
        assert_eq!(sweep_name("base", &g[4]), "base[a=2,b=20]");
        assert_eq!(grid(&[]), vec![Vec::<(String, f64)>::new()]);
        assert!(grid(&[("a".to_string(), vec![])]).is_empty());
        assert!(check_axes(&axes).is_ok());
        assert!(check_axes(&[axes[0].clone(), axes[0].clone()]).is_err());
    }
}
