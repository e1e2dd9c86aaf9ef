//! Splitting a batch across machines: shard `K/N` takes the work items whose index `i`
//! (over all (job, replication) pairs in batch order) satisfies `i % N == K`.
//!
//! Assignment depends only on the item index, so every machine computes the same split
//! without talking to the others, and round-robin keeps shards balanced even when
//! replications of one scenario cost more than another's. This module must never read
//! anything but the environment variables documented in docs/outputs.md.

use std::fmt;
use std::str::FromStr;

/// One shard of `count`, numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// Why a shard specification is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("shard `{0}` is not of the form K/N (e.g. 0/4: the first of four shards)")]
    Syntax(String),
    #[error("shard count must be at least 1")]
    ZeroCount,
    #[error("shard index {index} is out of range for {count} shards (valid: 0 to {})", count.saturating_sub(1))]
    IndexOutOfRange { index: u64, count: u64 },
    #[error("environment variable {var}={value:?} is not a non-negative integer")]
    BadVariable { var: String, value: String },
    #[error("{index_var} is set but {count_var} is not: set {count_var} to the number of shards")]
    MissingCount {
        index_var: String,
        count_var: String,
    },
}

/// The variable holding the number of shards for a Kubernetes indexed Job, which only
/// provides the index (`JOB_COMPLETION_INDEX`); set it to the Job's `completions`.
pub const SHARD_COUNT_VAR: &str = "CORRIDOR_SHARD_COUNT";
/// Overrides every scheduler variable with an explicit `K/N`.
pub const SHARD_VAR: &str = "CORRIDOR_SHARD";

impl Shard {
    pub fn new(index: u64, count: u64) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::ZeroCount);
        }
        if index >= count {
            return Err(ShardError::IndexOutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Parses `K/N`, e.g. `2/8` (surrounding spaces allowed).
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(s.to_string());
        let (k, n) = s.trim().split_once('/').ok_or_else(syntax)?;
        let k: u64 = k.trim().parse().map_err(|_| syntax())?;
        let n: u64 = n.trim().parse().map_err(|_| syntax())?;
        Shard::new(k, n)
    }

    /// Whether the work item with this index belongs to the shard.
    pub fn contains(&self, item: u64) -> bool {
        item % self.count == self.index
    }

    /// The shard this process should run according to its environment, if any:
    ///
    /// 1. `CORRIDOR_SHARD=K/N`;
    /// 2. Slurm job arrays: `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`, with the
    ///    index taken relative to `SLURM_ARRAY_TASK_MIN` and divided by
    ///    `SLURM_ARRAY_TASK_STEP` when set (so `--array=1-8` gives shards 0/8 … 7/8);
    /// 3. Kubernetes indexed Jobs: `JOB_COMPLETION_INDEX` with `CORRIDOR_SHARD_COUNT`.
    ///
    /// `Ok(None)` when none is set.
    pub fn from_env() -> Result<Option<Shard>, ShardError> {
        Shard::from_vars(|name| std::env::var(name).ok())
    }

    /// `from_env` over any variable lookup, so that it can be tested without touching the
    /// process environment.
    pub fn from_vars<F>(get: F) -> Result<Option<Shard>, ShardError>
    where
        F: Fn(&str) -> Option<String>,
    {
        let num = |var: &str| -> Result<Option<u64>, ShardError> {
            match get(var) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| ShardError::BadVariable {
                        var: var.to_string(),
                        value: v,
                    }),
            }
        };
        if let Some(s) = get(SHARD_VAR) {
            if !s.trim().is_empty() {
                return Shard::parse(&s).map(Some);
            }
        }
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = num("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| ShardError::MissingCount {
                index_var: "SLURM_ARRAY_TASK_ID".to_string(),
                count_var: "SLURM_ARRAY_TASK_COUNT".to_string(),
            })?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let rel = id
                .checked_sub(min)
                .ok_or(ShardError::IndexOutOfRange { index: id, count })?;
            return Shard::new(rel / step, count).map(Some);
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num(SHARD_COUNT_VAR)?.ok_or_else(|| ShardError::MissingCount {
                index_var: "JOB_COMPLETION_INDEX".to_string(),
                count_var: SHARD_COUNT_VAR.to_string(),
            })?;
            return Shard::new(index, count).map(Some);
        }
        Ok(None)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Shard::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn parse_good_and_bad() {
        assert_eq!(Shard::parse("0/1").unwrap(), Shard { index: 0, count: 1 });
        assert_eq!(
            Shard::parse(" 3 / 4 ").unwrap(),
            Shard { index: 3, count: 4 }
        );
        assert_eq!(
            Shard::parse("4/4"),
            Err(ShardError::IndexOutOfRange { index: 4, count: 4 })
        );
        assert_eq!(Shard::parse("0/0"), Err(ShardError::ZeroCount));
        for junk in ["", "1", "a/b", "1/2/3", "-1/2", "1/", "/2", "1.0/2"] {
            assert!(
                matches!(Shard::parse(junk), Err(ShardError::Syntax(_))),
                "{junk}"
            );
        }
        assert_eq!("2/5".parse::<Shard>().unwrap().to_string(), "2/5");
    }

    #[test]
    fn round_robin_covers_each_item_once() {
        let shards: Vec<_> = (0..3).map(|k| Shard::new(k, 3).unwrap()).collect();
        for i in 0..30 {
            assert_eq!(shards.iter().filter(|s| s.contains(i)).count(), 1);
        }
    }

    #[test]
    fn environment() {
        assert_eq!(Shard::from_vars(vars(&[])).unwrap(), None);
        assert_eq!(
            Shard::from_vars(vars(&[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]))
            .unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        // --array=1-4
        assert_eq!(
            Shard::from_vars(vars(&[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
            ]))
            .unwrap(),
            Some(Shard { index: 3, count: 4 })
        );
        assert!(matches!(
            Shard::from_vars(vars(&[("SLURM_ARRAY_TASK_ID", "2")])),
            Err(ShardError::MissingCount { .. })
        ));
        assert_eq!(
            Shard::from_vars(vars(&[
                ("JOB_COMPLETION_INDEX", "1"),
                (SHARD_COUNT_VAR, "3")
            ]))
            .unwrap(),
            Some(Shard { index: 1, count: 3 })
        );
        assert!(matches!(
            Shard::from_vars(vars(&[
                ("JOB_COMPLETION_INDEX", "x"),
                (SHARD_COUNT_VAR, "3")
            ])),
            Err(ShardError::BadVariable { .. })
        ));
        assert!(matches!(
            Shard::from_vars(vars(&[
                ("JOB_COMPLETION_INDEX", "3"),
                (SHARD_COUNT_VAR, "3")
            ])),
            Err(ShardError::IndexOutOfRange { .. })
        ));
        // The explicit variable wins over the scheduler's.
        assert_eq!(
            Shard::from_vars(vars(&[
                (SHARD_VAR, "0/2"),
                ("JOB_COMPLETION_INDEX", "1"),
                (SHARD_COUNT_VAR, "3")
            ]))
            .unwrap(),
            Some(Shard { index: 0, count: 2 })
        );
    }
}
