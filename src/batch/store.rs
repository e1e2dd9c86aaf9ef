//! What a batch leaves on disk so that nothing is lost: one JSON file per finished
//! replication (`.replications/<scenario>/rep-000012.json`) and the batch manifest
//! (`batch.json`: each job's scenario, hash, seed, replications, targets, sweep values).
//!
//! Floats are stored as decimal strings in Rust's shortest round-trip form and parsed back
//! with Rust's correctly rounded parser, so a value read back is bit-for-bit the value
//! written (JSON numbers through `serde_json`'s default parser are not guaranteed to be;
//! NaN and infinities are not JSON numbers at all). That exactness is what makes resumed
//! and merged outputs byte-identical to uninterrupted ones. This module must never decide
//! what to run or how to summarise: it only stores and validates.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::metrics::{Metric, Quantity, Subject, SubjectKind};
use crate::model::results::{Conservation, Record, RunResult};
use crate::output::{self, OutputError};
use crate::scenario::schema::TargetDirection;
use crate::scenario::target::Target;

pub const MANIFEST: &str = "batch.json";
pub const REPLICATIONS_DIR: &str = ".replications";
const REP_FORMAT: &str = "corridor-replication/3";
const MANIFEST_FORMAT: &str = "corridor-batch/2";

/// A float stored exactly, as its shortest round-trip decimal string (`"NaN"`, `"inf"`
/// and `"-inf"` included). Equality is bitwise, so NaN equals NaN.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exact(pub f64);

impl PartialEq for Exact {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse::<f64>()
            .map(Exact)
            .map_err(|_| D::Error::custom(format!("`{s}` is not a number")))
    }
}

/// A job as the manifest records it (everything but the simulator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ManifestJob {
    pub scenario: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub targets: Vec<ManifestTarget>,
    pub sweep: Vec<(String, Exact)>,
    /// The quantities `--precision` holds for this job; absent without `--precision`, so
    /// that a fixed-replications manifest is what it always was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<ManifestQuantity>,
}

/// A held quantity as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ManifestQuantity {
    pub metric: Metric,
    pub subject_kind: SubjectKind,
    pub subject: String,
    /// `null`: every year the runs report.
    pub year: Option<i32>,
}

impl From<&Quantity> for ManifestQuantity {
    fn from(q: &Quantity) -> Self {
        ManifestQuantity {
            metric: q.metric,
            subject_kind: q.subject.kind,
            subject: q.subject.id.clone(),
            year: q.year,
        }
    }
}

impl From<&ManifestQuantity> for Quantity {
    fn from(q: &ManifestQuantity) -> Self {
        Quantity {
            metric: q.metric,
            subject: Subject::new(q.subject_kind, q.subject.clone()),
            year: q.year,
        }
    }
}

/// The `--precision` procedure a folder's run follows, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ManifestPrecision {
    pub relative_half_width: Exact,
    pub min_replications: u64,
    pub max_replications: u64,
    /// The `--metric` arguments as written.
    pub metrics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ManifestTarget {
    pub id: String,
    pub description: Option<String>,
    pub metric: Metric,
    pub subject_kind: SubjectKind,
    pub subject: String,
    pub year: i32,
    pub threshold: Exact,
    pub direction: TargetDirection,
}

impl From<&Target> for ManifestTarget {
    fn from(t: &Target) -> Self {
        ManifestTarget {
            id: t.id.clone(),
            description: t.description.clone(),
            metric: t.metric,
            subject_kind: t.subject.kind,
            subject: t.subject.id.clone(),
            year: t.year,
            threshold: Exact(t.threshold),
            direction: t.direction,
        }
    }
}

impl From<&ManifestTarget> for Target {
    fn from(t: &ManifestTarget) -> Self {
        Target {
            id: t.id.clone(),
            description: t.description.clone(),
            metric: t.metric,
            subject: Subject::new(t.subject_kind, t.subject.clone()),
            year: t.year,
            threshold: t.threshold.0,
            direction: t.direction,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format: String,
    pub program_version: String,
    /// Present when the run adds replications until precise enough (`--precision`); each
    /// job's `replications` is then the count of the stage the run last started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<ManifestPrecision>,
    pub jobs: Vec<ManifestJob>,
}

impl Manifest {
    pub fn new(jobs: Vec<ManifestJob>, precision: Option<ManifestPrecision>) -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.to_string(),
            program_version: env!("CARGO_PKG_VERSION").to_string(),
            precision,
            jobs,
        }
    }
}

pub(crate) fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), OutputError> {
    output::write_json(&dir.join(MANIFEST), m)
}

/// Why a folder's `batch.json` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a batch manifest: {source}", path.display())]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} has format `{found}`, expected `{MANIFEST_FORMAT}`", path.display())]
    Format { path: PathBuf, found: String },
}

/// Reads a folder's manifest.
pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest, ManifestError> {
    let path = dir.join(MANIFEST);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(source) => return Err(ManifestError::Unreadable { path, source }),
    };
    let m: Manifest = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(source) => return Err(ManifestError::Malformed { path, source }),
    };
    if m.format != MANIFEST_FORMAT {
        return Err(ManifestError::Format {
            path,
            found: m.format,
        });
    }
    Ok(m)
}

/// A folder name for a scenario name. Sweep names such as `base[nodes.aktau.cranes=4]`
/// are kept readable; characters that some file systems reject (or that would escape the
/// folder, like `/`) become `_`, and a hash of the original name is then appended so two
/// names differing only in such characters cannot share a folder.
pub fn scenario_dir_name(name: &str) -> String {
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-=[],+@".contains(c);
    let mut s: String = name.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    if s.starts_with('.') || s.is_empty() {
        s.insert(0, '_');
    }
    // File systems cap a name at 255 bytes; a long name keeps a readable prefix (the
    // characters are all ASCII by now) and gets the hash.
    let long = s.len() > MAX_DIR_NAME_BYTES;
    if long {
        s.truncate(MAX_DIR_NAME_BYTES - 17);
    }
    if s != name || long {
        let h = crate::engine::rng::SourceId::from_name(name).0;
        s.push_str(&format!("-{h:016x}"));
    }
    s
}

/// Longest folder name `scenario_dir_name` returns.
const MAX_DIR_NAME_BYTES: usize = 120;

pub(crate) fn scenario_dir(out: &Path, scenario: &str) -> PathBuf {
    out.join(REPLICATIONS_DIR).join(scenario_dir_name(scenario))
}

pub(crate) fn rep_path(out: &Path, scenario: &str, replication: u64) -> PathBuf {
    scenario_dir(out, scenario).join(format!("rep-{replication:06}.json"))
}

#[derive(Serialize)]
struct RepOut<'a> {
    format: &'static str,
    scenario: &'a str,
    scenario_hash: &'a str,
    seed: u64,
    replication: u64,
    events: u64,
    conservation: ConsOut<'a>,
    records: Vec<(i32, Metric, SubjectKind, &'a str, Exact)>,
}

#[derive(Serialize)]
struct ConsOut<'a> {
    created_teu: Exact,
    delivered_teu: Exact,
    diverted_teu: Exact,
    in_system_teu: Vec<(&'a str, Exact)>,
}

#[derive(Deserialize)]
struct RepIn {
    format: String,
    scenario: String,
    scenario_hash: String,
    seed: u64,
    replication: u64,
    events: u64,
    conservation: ConsIn,
    records: Vec<(i32, Metric, SubjectKind, String, Exact)>,
}

#[derive(Deserialize)]
struct ConsIn {
    created_teu: Exact,
    delivered_teu: Exact,
    diverted_teu: Exact,
    in_system_teu: Vec<(String, Exact)>,
}

/// Identifies whose replication a file is; a file from another scenario version or seed
/// must not be mistaken for a result of this one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RepKey<'a> {
    pub scenario: &'a str,
    pub scenario_hash: &'a str,
    pub seed: u64,
}

/// The canonical bytes of a replication file (one line of JSON).
pub(crate) fn rep_bytes(key: RepKey<'_>, run: &RunResult) -> Vec<u8> {
    let c = &run.conservation;
    let doc = RepOut {
        format: REP_FORMAT,
        scenario: key.scenario,
        scenario_hash: key.scenario_hash,
        seed: key.seed,
        replication: run.replication,
        events: run.events,
        conservation: ConsOut {
            created_teu: Exact(c.created_teu),
            delivered_teu: Exact(c.delivered_teu),
            diverted_teu: Exact(c.diverted_teu),
            in_system_teu: c
                .in_system_teu
                .iter()
                .map(|(p, v)| (p.as_str(), Exact(*v)))
                .collect(),
        },
        records: run
            .records
            .iter()
            .map(|r| (r.year, r.metric, r.kind, r.subject.as_str(), Exact(r.value)))
            .collect(),
    };
    // Serialising plain strings, integers and tuples into memory cannot fail.
    let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub(crate) fn write_rep(out: &Path, key: RepKey<'_>, run: &RunResult) -> Result<(), OutputError> {
    let path = rep_path(out, key.scenario, run.replication);
    // Cheap when the folder exists, and it keeps a run going if someone removed it.
    let dir = scenario_dir(out, key.scenario);
    fs::create_dir_all(&dir).map_err(|source| OutputError::Io { path: dir, source })?;
    let bytes = rep_bytes(key, run);
    output::write_atomic(&path, |w| w.write_all(&bytes))
}

/// What reading a replication file found.
pub(crate) enum RepRead {
    Missing,
    /// The file exists but cannot be used; the reason says why.
    Invalid(String),
    Valid(RunResult),
}

/// Reads and validates a replication file: it must parse completely and belong to this
/// scenario name, hash, seed and replication number.
pub(crate) fn read_rep(path: &Path, key: RepKey<'_>, replication: u64) -> RepRead {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return RepRead::Missing,
        Err(e) => return RepRead::Invalid(format!("cannot read: {e}")),
    };
    let doc: RepIn = match serde_json::from_slice(&bytes) {
        Ok(d) => d,
        Err(e) => return RepRead::Invalid(format!("corrupt or incomplete: {e}")),
    };
    let mismatch = if doc.format != REP_FORMAT {
        Some(format!("format `{}`, expected `{REP_FORMAT}`", doc.format))
    } else if doc.scenario != key.scenario {
        Some(format!("belongs to scenario `{}`", doc.scenario))
    } else if doc.scenario_hash != key.scenario_hash {
        Some(format!(
            "made from another version of the scenario (hash {}, now {})",
            doc.scenario_hash, key.scenario_hash
        ))
    } else if doc.seed != key.seed {
        Some(format!("made with seed {}, now {}", doc.seed, key.seed))
    } else if doc.replication != replication {
        Some(format!("holds replication {}", doc.replication))
    } else {
        None
    };
    if let Some(m) = mismatch {
        return RepRead::Invalid(m);
    }
    RepRead::Valid(RunResult {
        replication: doc.replication,
        events: doc.events,
        conservation: Conservation {
            created_teu: doc.conservation.created_teu.0,
            delivered_teu: doc.conservation.delivered_teu.0,
            diverted_teu: doc.conservation.diverted_teu.0,
            in_system_teu: doc
                .conservation
                .in_system_teu
                .into_iter()
                .map(|(p, v)| (p, v.0))
                .collect(),
        },
        records: doc
            .records
            .into_iter()
            .map(|(year, metric, kind, subject, v)| Record {
                year,
                metric,
                kind,
                subject,
                value: v.0,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_survive_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let key = RepKey {
            scenario: "s",
            scenario_hash: "h",
            seed: 9,
        };
        let values = [
            0.1 + 0.2,
            1.0 / 3.0,
            f64::NAN,
            f64::INFINITY,
            -0.0,
            5e-324,
            1.7976931348623157e308,
        ];
        let run = RunResult {
            replication: 4,
            records: values
                .iter()
                .map(|&value| Record {
                    year: 2025,
                    metric: Metric::DeliveredTeu,
                    kind: SubjectKind::Flow,
                    subject: "c".into(),
                    value,
                })
                .collect(),
            conservation: Conservation {
                created_teu: 10.5,
                delivered_teu: 7.25,
                diverted_teu: 0.0,
                in_system_teu: vec![("node:aktau".into(), 3.25)],
            },
            events: 123,
        };
        write_rep(dir.path(), key, &run).unwrap();
        let RepRead::Valid(back) = read_rep(&rep_path(dir.path(), "s", 4), key, 4) else {
            panic!("not read back");
        };
        for (a, b) in run.records.iter().zip(&back.records) {
            assert_eq!(a.value.to_bits(), b.value.to_bits());
        }
        assert_eq!(back.conservation, run.conservation);
        assert_eq!(back.events, 123);
        assert_eq!(rep_bytes(key, &back), rep_bytes(key, &run));
    }

    #[test]
    fn foreign_or_broken_files_are_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let key = RepKey {
            scenario: "s",
            scenario_hash: "h",
            seed: 9,
        };
        let run = RunResult {
            replication: 1,
            ..Default::default()
        };
        write_rep(dir.path(), key, &run).unwrap();
        let p = rep_path(dir.path(), "s", 1);
        let other = RepKey {
            scenario_hash: "h2",
            ..key
        };
        assert!(matches!(read_rep(&p, other, 1), RepRead::Invalid(_)));
        assert!(matches!(read_rep(&p, key, 2), RepRead::Invalid(_)));
        let text = fs::read(&p).unwrap();
        fs::write(&p, &text[..text.len() / 2]).unwrap();
        assert!(matches!(read_rep(&p, key, 1), RepRead::Invalid(_)));
        assert!(matches!(
            read_rep(&rep_path(dir.path(), "s", 7), key, 7),
            RepRead::Missing
        ));
    }

    #[test]
    fn dir_names() {
        assert_eq!(scenario_dir_name("base"), "base");
        assert_eq!(
            scenario_dir_name("base[nodes.aktau.cranes=4]"),
            "base[nodes.aktau.cranes=4]"
        );
        let a = scenario_dir_name("a/b");
        let b = scenario_dir_name("a:b");
        assert!(a.starts_with("a_b-") && b.starts_with("a_b-") && a != b);
        assert!(scenario_dir_name("..").starts_with("_.."));
        assert!(!scenario_dir_name("").is_empty());
        let long = "x".repeat(300);
        let d = scenario_dir_name(&long);
        assert!(d.len() <= MAX_DIR_NAME_BYTES, "{d}");
        assert_ne!(d, scenario_dir_name(&"x".repeat(301)));
        // The output folder's ledger leaves this folder alone by this name.
        assert_eq!(REPLICATIONS_DIR, crate::output::files::REPLICATIONS_DIR);
    }
}
