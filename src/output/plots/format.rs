//! Number formatting for axes, labels and the report: thousands separators, percentages,
//! compact TEU. Deterministic and locale-independent; it must never depend on the machine.

/// `x` rounded to `decimals` with a comma between groups of three digits: 865000 →
/// "865,000", -1234.5 (1 decimal) → "-1,234.5". NaN → "n/a"; infinities → "∞" / "-∞".
pub fn thousands(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        return "n/a".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

/// An axis tick: thousands separators, decimals only when the step needs them.
pub fn tick(x: f64, step: f64) -> String {
    let decimals = if step.is_finite() && step > 0.0 && step < 1.0 {
        ((-step.log10()).ceil() as usize).min(6)
    } else {
        0
    };
    thousands(x, decimals)
}

/// A model day of the year as a calendar date: 1 → "1 January", 64 → "5 March". Model
/// years have 365 days (docs/model.md), so no day is 29 February; a fractional day (a
/// mean) is rounded to the nearest whole one and cut to 1..=365. NaN → "n/a".
pub fn day_of_year(day: f64) -> String {
    const MONTHS: [(&str, u32); 12] = [
        ("January", 31),
        ("February", 28),
        ("March", 31),
        ("April", 30),
        ("May", 31),
        ("June", 30),
        ("July", 31),
        ("August", 31),
        ("September", 30),
        ("October", 31),
        ("November", 30),
        ("December", 31),
    ];
    if day.is_nan() {
        return "n/a".to_string();
    }
    let mut d = day.round().clamp(1.0, 365.0) as u32;
    for (name, len) in MONTHS {
        if d <= len {
            return format!("{d} {name}");
        }
        d -= len;
    }
    // Not reached: the twelve months hold the 365 days `d` is cut to.
    "31 December".to_string()
}

/// A share (0–1) as a percentage: 0.8712 → "87%", with `decimals` decimals.
pub fn percent(share: f64, decimals: usize) -> String {
    if share.is_nan() {
        "n/a".to_string()
    } else {
        format!("{:.*}%", decimals, share * 100.0)
    }
}

/// Compact TEU: 412,345 → "412k", 1,234,567 → "1.23M", 5,705,400,000 → "5.71bn", 950 → "950".
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if x.is_nan() {
        "n/a".to_string()
    } else if a >= 1e9 {
        format!("{:.2}bn", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

/// What the console and the report say about one target, from either `analysis::TargetRow`
/// or a `targets.csv` row: the one place targets are worded, so both say the same.
#[derive(Debug, Clone, Copy)]
pub struct TargetOutcome<'a> {
    /// A ceiling (`at_most`) rather than a floor.
    pub ceiling: bool,
    pub year: i32,
    /// Replications with a value in the target year.
    pub n: Option<u64>,
    pub share_met: f64,
    /// (year, replications that first met it that year); empty when unknown.
    pub first_years: &'a [(i32, u64)],
}

impl TargetOutcome<'_> {
    /// "met in 2029 by 7 of 20 replications (35%)"; for a ceiling "within the ceiling in
    /// 2024 in 20 of 20 replications (100%)".
    pub fn share_phrase(&self) -> String {
        if self.share_met.is_nan() {
            return format!("no replication recorded {}", self.year);
        }
        let pct = percent(self.share_met, 0);
        let count = match self.n {
            Some(n) => {
                let met = (self.share_met * n as f64).round() as u64;
                format!("{met} of {n} replications ({pct})")
            }
            None => format!("{pct} of replications"),
        };
        if self.ceiling {
            format!("within the ceiling in {} in {count}", self.year)
        } else {
            format!("met in {} by {count}", self.year)
        }
    }

    /// When replications first reached a floor, as a distribution: "first reached in 2029
    /// (9 replications), 2030 (7); 4 never". `None` for ceilings (every run starts below
    /// a ceiling, so a "first year" says nothing) and when no replication reached it.
    pub fn first_years_phrase(&self) -> Option<String> {
        if self.ceiling || self.first_years.is_empty() {
            return None;
        }
        let reached: u64 = self.first_years.iter().map(|(_, c)| c).sum();
        let parts: Vec<String> = self
            .first_years
            .iter()
            .enumerate()
            .map(|(i, (y, c))| {
                let unit = if i > 0 {
                    ""
                } else if *c == 1 {
                    " replication"
                } else {
                    " replications"
                };
                format!("{y} ({c}{unit})")
            })
            .collect();
        let never = match self.n {
            Some(n) if n > reached => format!("; {} never", n - reached),
            _ => String::new(),
        };
        Some(format!("first reached in {}{never}", parts.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_of_the_year_are_dates() {
        assert_eq!(day_of_year(1.0), "1 January");
        assert_eq!(day_of_year(31.0), "31 January");
        assert_eq!(day_of_year(32.0), "1 February");
        assert_eq!(day_of_year(60.0), "1 March");
        assert_eq!(day_of_year(64.4), "5 March");
        assert_eq!(day_of_year(365.0), "31 December");
        assert_eq!(day_of_year(f64::NAN), "n/a");
    }

    #[test]
    fn separators() {
        assert_eq!(thousands(865_000.0, 0), "865,000");
        assert_eq!(thousands(1_234_567.891, 1), "1,234,567.9");
        assert_eq!(thousands(-1234.0, 0), "-1,234");
        assert_eq!(thousands(-0.2, 0), "0");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(0.0, 0), "0");
        assert_eq!(thousands(f64::NAN, 0), "n/a");
        assert_eq!(tick(2.5, 0.5), "2.5");
        assert_eq!(tick(200_000.0, 100_000.0), "200,000");
        assert_eq!(percent(0.8712, 0), "87%");
        assert_eq!(compact(412_345.0), "412k");
        assert_eq!(compact(1_234_567.0), "1.23M");
        assert_eq!(compact(5_705_400_000.0), "5.71bn");
    }

    #[test]
    fn targets_worded_with_counts_and_distribution() {
        let floor = TargetOutcome {
            ceiling: false,
            year: 2029,
            n: Some(20),
            share_met: 0.35,
            first_years: &[(2029, 9), (2030, 7)],
        };
        assert_eq!(
            floor.share_phrase(),
            "met in 2029 by 7 of 20 replications (35%)"
        );
        assert_eq!(
            floor.first_years_phrase().unwrap(),
            "first reached in 2029 (9 replications), 2030 (7); 4 never"
        );
        let one = TargetOutcome {
            share_met: 0.05,
            first_years: &[(2028, 1)],
            ..floor
        };
        assert_eq!(
            one.share_phrase(),
            "met in 2029 by 1 of 20 replications (5%)"
        );
        assert_eq!(
            one.first_years_phrase().unwrap(),
            "first reached in 2028 (1 replication); 19 never"
        );
        let ceiling = TargetOutcome {
            ceiling: true,
            share_met: 1.0,
            ..floor
        };
        assert_eq!(
            ceiling.share_phrase(),
            "within the ceiling in 2029 in 20 of 20 replications (100%)"
        );
        assert_eq!(ceiling.first_years_phrase(), None);
    }
}
