//! Loading a scenario file: bytes → TOML with spans → `extends` resolved and merged →
//! `ScenarioFile` → validated, with every problem reported at once as a `Diagnostic` that
//! points at the file, line and column where the offending key was written.
//!
//! The merged document is kept as a small tree whose every key remembers the file and span
//! it came from, so that a problem found after merging (a type error, an unknown key, a
//! validation issue) still points into whichever file defined the key. This module must
//! never panic on any input, never write files and never simulate; it reads only the
//! scenario file and the base files it extends.

use std::collections::HashMap;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, ScenarioError};
use super::money::CostsSpec;
use super::schema::{
    AlternativeSpec, AppraisalSpec, ChangeSpec, DisruptionSpec, FlowSpec, InvestmentSpec, LinkSpec,
    MarketSpec, NodeSpec, RailSpec, RouteChoiceSpec, RouteShare, RouteSpec, RunSpec, ScenarioFile,
    SeaSpec, StormSpec, TargetSpec, VesselClassSpec, WagonPoolSpec,
};
use super::validate::{closest, validate};
use crate::engine::dist::ExponentialSpec;

/// Longest chain of `extends` (the file itself included).
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// Largest scenario file (and base file) read, in bytes. A guard rail: parsing keeps the
/// text, the TOML tree and a span index in memory, several times the file's size, and a
/// path such as `/dev/zero` (directly or through `extends`) would otherwise be read until
/// memory runs out. The bundled scenarios are under 20 KB.
pub const MAX_SCENARIO_BYTES: u64 = 16 * 1024 * 1024;

/// Type errors reported per entry before giving up on it (each retry takes one key out).
const MAX_TYPE_ERRORS_PER_ENTRY: usize = 32;

/// Deepest nesting of tables and arrays accepted; the schema needs 5 levels.
const MAX_NESTING: usize = 32;

/// Top-level sections that are arrays of tables keyed by `id`.
const ID_SECTIONS: &[&str] = &[
    "nodes",
    "links",
    "wagon_pools",
    "routes",
    "flows",
    "timeline",
    "disruptions",
    "targets",
    "investments",
    "alternatives",
];

/// Keys whose value is a distribution (`DistSpec`), wherever they appear.
const DIST_KEYS: &[&str] = &[
    "handling_minutes",
    "dwell_hours",
    "speed_km_per_day",
    "extra_hours",
    "sailing_hours",
    "return_hours",
    "duration_hours",
    "vessel_call_hours",
    "ferry_call_hours",
    "turnaround_hours",
];

/// Fields of the struct-like distribution variants. `DistSpec`'s variants themselves and
/// `ExponentialSpec`'s fields are read from serde; struct variants cannot be, so they are
/// listed here and checked against serde by a test.
const DIST_VARIANT_FIELDS: &[(&str, &[&str])] = &[
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mean", "sd"]),
    ("gamma", &["shape", "scale"]),
    ("erlang", &["k", "mean"]),
    ("empirical", &["values", "weights"]),
];

/// A scenario after loading: merged over its bases and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedScenario {
    /// The merged, validated scenario (`extends` and `remove` already applied and cleared).
    pub file: ScenarioFile,
    /// The path it was loaded from, as given.
    pub path: PathBuf,
    /// This file first, then every file it extends, in order.
    pub sources: Vec<PathBuf>,
    /// 16 hex digits: FNV-1a 64 over each source's length and bytes, in `sources` order.
    pub hash: String,
    /// Where each field was written, so that a problem found after loading (a model that
    /// cannot be built, a swept value) is reported as a `Diagnostic` too.
    pub locations: Arc<FieldLocations>,
}

/// Where the fields of a loaded scenario were written (the file, among it and its bases,
/// and the byte offset), kept with the sources' text so that line and column are counted
/// only for the field a problem names.
#[derive(Clone, PartialEq, Default)]
pub struct FieldLocations {
    at: HashMap<String, (usize, usize)>,
    files: Vec<(PathBuf, String)>,
}

impl std::fmt::Debug for FieldLocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldLocations")
            .field("fields", &self.at.len())
            .field("files", &self.files.len())
            .finish()
    }
}

impl FieldLocations {
    /// A diagnostic at the field `path` (ids rather than indices, as in `Issue::path`), or
    /// at its closest ancestor that was written, or at the start of the scenario file.
    pub fn diagnostic(
        &self,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let mut p = path;
        let (file, offset) = loop {
            if let Some(at) = self.at.get(p) {
                break *at;
            }
            match p.rfind(['.', '[']).and_then(|cut| p.get(..cut)) {
                Some(up) => p = up,
                None => break (0, 0),
            }
        };
        let (name, (line, column)) = match self.files.get(file) {
            Some((name, text)) => (name.as_path(), line_col(text, offset)),
            None => (Path::new(""), (1, 1)),
        };
        Diagnostic::new(name, line, column, path, message, hint)
    }
}

/// Loads, merges and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let bytes = match read_capped(path) {
        Ok(Ok(b)) => b,
        Ok(Err(too_big)) => {
            return Err(ScenarioError::Invalid(vec![Diagnostic::new(
                path,
                1,
                1,
                "",
                too_big,
                Some("a scenario file is a few kilobytes of TOML; is this the right file?".into()),
            )]));
        }
        Err(source) => {
            return Err(ScenarioError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    load_bytes(&bytes, path)
}

/// Reads at most `MAX_SCENARIO_BYTES` of `path`; the inner error says the file is larger.
/// Reading through `take` rather than trusting the file's reported size also stops
/// endless devices and pipes.
fn read_capped(path: &Path) -> std::io::Result<Result<Vec<u8>, String>> {
    use std::io::Read;
    // Only regular files: opening a FIFO blocks until something writes to it (forever, for
    // a scenario), and a device or a folder is never a scenario. Checked before opening,
    // and again on the opened file in case the path was replaced in between.
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, a device or a folder); a scenario must be an ordinary TOML file",
        )
    };
    if !fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        let size = fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map_or_else(|| "endless".to_string(), |m| format!("{} bytes", m.len()));
        return Ok(Err(format!(
            "file is larger than the limit of {MAX_SCENARIO_BYTES} bytes ({size}) for a scenario (guard rail: it is held in memory several times over while parsing)"
        )));
    }
    Ok(Ok(bytes))
}

/// Loads a scenario from `text` as if it had been read from `name`; `extends` is resolved
/// relative to `name`'s directory.
pub fn load_str(text: &str, name: &Path) -> Result<LoadedScenario, ScenarioError> {
    load_bytes(text.as_bytes(), name)
}

/// Loads a scenario from raw bytes (which need not be UTF-8: that is diagnosed) as if
/// read from `name`. Public for the fuzz target, which feeds arbitrary bytes.
pub fn load_bytes(bytes: &[u8], name: &Path) -> Result<LoadedScenario, ScenarioError> {
    let mut cx = Loader::default();
    let canon = canonical(name);
    let merged = cx.load_file(name.to_path_buf(), canon, bytes.to_vec(), &mut Vec::new());
    let file = match &merged {
        Some(root) => cx.deserialize(root),
        None => None,
    };
    match (file, merged) {
        (Some(file), Some(root)) if cx.diags.is_empty() => Ok(LoadedScenario {
            file,
            path: name.to_path_buf(),
            sources: cx.files.iter().map(|f| f.path.clone()).collect(),
            hash: format!("{:016x}", cx.hash),
            locations: Arc::new(FieldLocations {
                at: build_index(&root)
                    .into_iter()
                    .map(|(p, at)| (p, (at.file, at.span.start)))
                    .collect(),
                files: cx.files.into_iter().map(|f| (f.path, f.text)).collect(),
            }),
        }),
        _ => Err(cx.into_error()),
    }
}

fn canonical(p: &Path) -> PathBuf {
    fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

// ---- the merged tree -----------------------------------------------------------------

/// Where a key (or an array element) was written.
#[derive(Debug, Clone)]
struct Loc {
    file: usize,
    span: Range<usize>,
}

#[derive(Debug, Clone)]
struct Node {
    at: Loc,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Leaf(toml::Value),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Table(t) => t.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Leaf(toml::Value::String(s)) => Some(s),
            _ => None,
        }
    }

    fn to_value(&self) -> toml::Value {
        match &self.kind {
            Kind::Leaf(v) => v.clone(),
            Kind::Array(a) => toml::Value::Array(a.iter().map(Node::to_value).collect()),
            Kind::Table(t) => {
                let mut m = toml::map::Map::new();
                for (k, v) in t {
                    m.insert(k.clone(), v.to_value());
                }
                toml::Value::Table(m)
            }
        }
    }

    fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Leaf(v) => v.type_str(),
            Kind::Array(_) => "array",
            Kind::Table(_) => "table",
        }
    }
}

/// The key that identifies entries of the array stored under `key`, if it is merged and
/// named by id: the top-level sections by `id`, vessel fleets by `class`.
fn id_key(key: &str, parent_is_root: bool) -> Option<&'static str> {
    if parent_is_root && ID_SECTIONS.contains(&key) {
        Some("id")
    } else if key == "fleet" {
        Some("class")
    } else {
        None
    }
}

fn elem_id<'a>(e: &'a Node, idk: &str) -> Option<&'a str> {
    e.get(idk).and_then(Node::as_str).filter(|s| !s.is_empty())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Children of `node` (found at `path`, under `key`) with their paths and keys, named as
/// validation names them: entries of id-keyed arrays by id when the id is non-empty and
/// first seen, by index otherwise. Array entries get their array's key plus `[]`, so that
/// only the root's direct children are taken for id sections.
fn children<'a>(
    node: &'a Node,
    path: &str,
    key: &str,
    parent_is_root: bool,
) -> Vec<(String, String, &'a Node)> {
    match &node.kind {
        Kind::Leaf(_) => Vec::new(),
        Kind::Table(t) => t
            .iter()
            .map(|(k, v)| (join(path, k), k.clone(), v))
            .collect(),
        Kind::Array(a) => {
            let idk = id_key(key, parent_is_root);
            let mut seen = std::collections::HashSet::new();
            a.iter()
                .enumerate()
                .map(|(i, e)| {
                    let id = idk.and_then(|k| elem_id(e, k));
                    let p = match id {
                        Some(id) if seen.insert(id) => join(path, id),
                        _ => format!("{path}[{i}]"),
                    };
                    (p, format!("{key}[]"), e)
                })
                .collect()
        }
    }
}

/// Every path in the tree → where it was written (first one wins). Array entries are also
/// reachable by index, which is how validation names a duplicate.
fn build_index(root: &Node) -> HashMap<String, Loc> {
    fn walk(
        node: &Node,
        path: &str,
        key: &str,
        is_root: bool,
        parent_is_root: bool,
        out: &mut HashMap<String, Loc>,
    ) {
        let is_array = matches!(node.kind, Kind::Array(_));
        for (i, (p, k, child)) in children(node, path, key, parent_is_root)
            .into_iter()
            .enumerate()
        {
            out.entry(p.clone()).or_insert_with(|| child.at.clone());
            if is_array {
                out.entry(format!("{path}[{i}]"))
                    .or_insert_with(|| child.at.clone());
            }
            walk(child, &p, &k, false, is_root, out);
        }
    }
    let mut out = HashMap::new();
    walk(root, "", "", true, false, &mut out);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Follows serde's (index-based) path through the tree: returns the id-based path, where
/// the deepest node reached was written, and the path's shape (keys, `*` for array
/// entries, distribution variant names included) for looking up the known keys there.
fn resolve(root: &Node, segs: &[Seg]) -> (String, Loc, Vec<String>) {
    let mut node = root;
    let mut path = String::new();
    let mut key = String::new();
    let mut at_root = true;
    let mut parent_is_root = false;
    let mut shape = Vec::new();
    let mut next = 0;
    while let Some(seg) = segs.get(next) {
        let pos = match (seg, &node.kind) {
            (Seg::Key(k), Kind::Table(t)) => match t.iter().position(|(tk, _)| tk == k) {
                Some(p) => {
                    next += 1;
                    Some(p)
                }
                // serde_ignored does not name enum variants: step through the one-key table
                // of an externally tagged distribution without consuming the segment.
                None if t.len() == 1 && DIST_KEYS.contains(&key.as_str()) => Some(0),
                None => None,
            },
            (Seg::Index(n), Kind::Array(a)) if *n < a.len() => {
                next += 1;
                Some(*n)
            }
            _ => None,
        };
        let Some(pos) = pos else { break };
        let is_array = matches!(node.kind, Kind::Array(_));
        let Some((p, k, child)) = children(node, &path, &key, parent_is_root)
            .into_iter()
            .nth(pos)
        else {
            break;
        };
        shape.push(if is_array { "*".to_string() } else { k.clone() });
        parent_is_root = at_root;
        at_root = false;
        path = p;
        key = k;
        node = child;
    }
    for seg in segs.iter().skip(next) {
        match seg {
            Seg::Key(k) => {
                path = join(&path, k);
                shape.push(k.clone());
            }
            Seg::Index(i) => {
                path = format!("{path}[{i}]");
                shape.push("*".to_string());
            }
        }
    }
    (path, node.at.clone(), shape)
}

// ---- loading and merging -------------------------------------------------------------

struct SourceFile {
    path: PathBuf,
    text: String,
}

struct Loader {
    files: Vec<SourceFile>,
    diags: Vec<(usize, Diagnostic)>,
    hash: u64,
}

impl Default for Loader {
    fn default() -> Self {
        Loader {
            files: Vec::new(),
            diags: Vec::new(),
            hash: FNV_OFFSET,
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while off > 0 && !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = text.get(..off).unwrap_or_default();
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Loader {
    fn diag(
        &mut self,
        at: &Loc,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) {
        let (file, line, column) = match self.files.get(at.file) {
            Some(f) => {
                let (l, c) = line_col(&f.text, at.span.start);
                (f.path.clone(), l, c)
            }
            None => (PathBuf::new(), 1, 1),
        };
        self.diags.push((
            at.file,
            Diagnostic::new(&file, line, column, path, message, hint),
        ));
    }

    fn into_error(mut self) -> ScenarioError {
        self.diags
            .sort_by(|(fa, a), (fb, b)| (fa, a.line, a.column).cmp(&(fb, b.line, b.column)));
        self.diags.dedup_by(|(_, a), (_, b)| a == b);
        let mut d: Vec<Diagnostic> = self.diags.into_iter().map(|(_, d)| d).collect();
        if d.is_empty() {
            // Unreachable by construction (a failed step always records why), but an empty
            // error must never escape.
            let path = self
                .files
                .first()
                .map(|f| f.path.clone())
                .unwrap_or_default();
            d.push(Diagnostic::new(
                &path,
                1,
                1,
                "",
                "scenario could not be loaded",
                None,
            ));
        }
        ScenarioError::Invalid(d)
    }

    /// Reads one file and everything it extends; returns its merged tree, or `None` after
    /// recording why not.
    fn load_file(
        &mut self,
        path: PathBuf,
        canon: PathBuf,
        bytes: Vec<u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Node> {
        let fi = self.files.len();
        self.hash = fnv1a(self.hash, &(bytes.len() as u64).to_le_bytes());
        self.hash = fnv1a(self.hash, &bytes);
        self.files.push(SourceFile {
            path,
            text: String::new(),
        });
        let top = Loc {
            file: fi,
            span: 0..0,
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let good = e
                    .as_bytes()
                    .get(..valid)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .unwrap_or_default();
                let (line, column) = line_col(good, good.len());
                let bad = e.as_bytes().get(valid).copied().unwrap_or_default();
                let file = self
                    .files
                    .get(fi)
                    .map(|f| f.path.clone())
                    .unwrap_or_default();
                self.diags.push((
                    fi,
                    Diagnostic::new(
                        &file,
                        line,
                        column,
                        "",
                        format!("not valid UTF-8: byte 0x{bad:02x} at byte offset {valid}"),
                        Some("save the file as UTF-8".into()),
                    ),
                ));
                return None;
            }
        };
        // A byte-order mark is invisible in editors; columns are counted without it.
        let text = text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text);
        if let Some(f) = self.files.get_mut(fi) {
            f.text = text.clone();
        }
        if text.trim().is_empty() {
            self.diag(
                &top,
                "",
                "empty scenario file, a scenario needs at least a [run] section",
                Some("start with [run] and name, first_year, last_year".into()),
            );
            return None;
        }
        let (doc, errors) = DeTable::parse_recoverable(&text);
        if !errors.is_empty() {
            for e in errors {
                let span = e.span().unwrap_or(0..0);
                self.diag(
                    &Loc { file: fi, span },
                    "",
                    e.message().trim().to_string(),
                    None,
                );
            }
            return None;
        }
        let span = doc.span();
        let mut root = self.convert(
            fi,
            Spanned::new(span, DeValue::Table(doc.into_inner())),
            0..0,
            0,
        )?;
        let extends = take_key(&mut root, "extends");
        let remove = take_key(&mut root, "remove");

        let base = match extends {
            None => None,
            Some(ext) => Some(self.load_base(fi, &ext, stack, &canon)?),
        };
        let removals = self.removals(remove);
        match base {
            Some(mut base) => {
                for (what, at) in removals {
                    if let Err(hint) = remove_path(&mut base, &what) {
                        self.diag(
                            &at,
                            "remove",
                            format!("cannot remove `{what}`: the base scenario has no such entry"),
                            hint,
                        );
                    }
                }
                merge(&mut base, root, "", true, false);
                Some(base)
            }
            None => {
                for (what, at) in removals {
                    self.diag(
                        &at,
                        "remove",
                        format!("cannot remove `{what}`: this file extends no base scenario"),
                        Some("`remove` drops entries of the file named by `extends`".into()),
                    );
                }
                Some(root)
            }
        }
    }

    fn load_base(
        &mut self,
        fi: usize,
        ext: &Node,
        stack: &mut Vec<PathBuf>,
        canon: &Path,
    ) -> Option<Node> {
        let Some(rel) = ext.as_str() else {
            self.diag(
                &ext.at,
                "extends",
                format!("must be a string (a path), got a {}", ext.type_name()),
                Some("e.g. extends = \"baseline.toml\"".into()),
            );
            return None;
        };
        let here = self
            .files
            .get(fi)
            .map(|f| f.path.clone())
            .unwrap_or_default();
        let base_path = here.parent().unwrap_or(Path::new("")).join(rel);
        stack.push(canon.to_path_buf());
        let result = self.load_base_at(&ext.at, rel, base_path, stack);
        stack.pop();
        result
    }

    fn load_base_at(
        &mut self,
        at: &Loc,
        rel: &str,
        base_path: PathBuf,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Node> {
        if stack.len() >= MAX_EXTENDS_DEPTH {
            self.diag(
                at,
                "extends",
                format!("extends chain is deeper than {MAX_EXTENDS_DEPTH} files"),
                Some("flatten the chain of base scenarios".into()),
            );
            return None;
        }
        let base_canon = match fs::canonicalize(&base_path) {
            Ok(c) => c,
            Err(e) => {
                self.diag(
                    at,
                    "extends",
                    format!(
                        "cannot read base scenario `{rel}` ({}): {e}",
                        base_path.display()
                    ),
                    Some("extends is relative to the directory of the file that extends".into()),
                );
                return None;
            }
        };
        if let Some(pos) = stack.iter().position(|p| p == &base_canon) {
            let chain: Vec<String> = stack
                .iter()
                .skip(pos)
                .chain(std::iter::once(&base_canon))
                .map(|p| p.display().to_string())
                .collect();
            self.diag(
                at,
                "extends",
                format!("extends cycle: {}", chain.join(" -> ")),
                Some("a scenario may not extend itself, directly or through other files".into()),
            );
            return None;
        }
        match read_capped(&base_canon) {
            Ok(Ok(bytes)) => self.load_file(base_path, base_canon, bytes, stack),
            Ok(Err(too_big)) => {
                self.diag(
                    at,
                    "extends",
                    format!("cannot read base scenario `{rel}`: {too_big}"),
                    None,
                );
                None
            }
            Err(e) => {
                self.diag(
                    at,
                    "extends",
                    format!(
                        "cannot read base scenario `{rel}` ({}): {e}",
                        base_path.display()
                    ),
                    None,
                );
                None
            }
        }
    }

    /// The entries of a `remove` list, each with where it was written.
    fn removals(&mut self, remove: Option<Node>) -> Vec<(String, Loc)> {
        let Some(remove) = remove else {
            return Vec::new();
        };
        let Kind::Array(items) = &remove.kind else {
            self.diag(
                &remove.at,
                "remove",
                format!("must be an array of strings, got a {}", remove.type_name()),
                Some("e.g. remove = [\"nodes.kuryk\", \"flows.uzbek\"]".into()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => out.push((s.to_string(), item.at.clone())),
                None => self.diag(
                    &item.at,
                    format!("remove[{i}]"),
                    format!(
                        "must be a string like \"nodes.kuryk\", got a {}",
                        item.type_name()
                    ),
                    None,
                ),
            }
        }
        out
    }

    fn convert(
        &mut self,
        fi: usize,
        v: Spanned<DeValue<'_>>,
        at: Range<usize>,
        depth: usize,
    ) -> Option<Node> {
        let span = v.span();
        // A table or array of tables opened by a header (`[run]`, `[[nodes]]`) starts at its
        // `[`, before the key: point there. Inline values start after their key: point at
        // the key.
        let header =
            matches!(v.get_ref(), DeValue::Table(_) | DeValue::Array(_)) && span.start < at.start;
        let at = Loc {
            file: fi,
            span: if (at.is_empty() && depth > 0) || header {
                span.clone()
            } else {
                at
            },
        };
        if depth > MAX_NESTING {
            self.diag(
                &at,
                "",
                format!("nested deeper than {MAX_NESTING} levels"),
                None,
            );
            return None;
        }
        let kind = match v.into_inner() {
            DeValue::String(s) => Kind::Leaf(toml::Value::String(s.into_owned())),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Kind::Leaf(toml::Value::Integer(n)),
                Err(_) => {
                    self.diag(
                        &Loc { file: fi, span },
                        "",
                        format!("integer {i} does not fit in 64 bits"),
                        None,
                    );
                    return None;
                }
            },
            DeValue::Float(f) => match f.as_str().parse::<f64>() {
                Ok(x) => Kind::Leaf(toml::Value::Float(x)),
                Err(_) => {
                    self.diag(
                        &Loc { file: fi, span },
                        "",
                        format!("`{f}` is not a number"),
                        None,
                    );
                    return None;
                }
            },
            DeValue::Boolean(b) => Kind::Leaf(toml::Value::Boolean(b)),
            DeValue::Datetime(d) => Kind::Leaf(toml::Value::Datetime(d)),
            DeValue::Array(a) => {
                let mut out = Vec::new();
                for e in a {
                    let s = e.span();
                    out.push(self.convert(fi, e, s, depth + 1)?);
                }
                Kind::Array(out)
            }
            DeValue::Table(t) => {
                let mut out = Vec::new();
                for (k, v) in t {
                    let ks = k.span();
                    let node = self.convert(fi, v, ks, depth + 1)?;
                    out.push((k.into_inner().into_owned(), node));
                }
                Kind::Table(out)
            }
        };
        Some(Node { at, kind })
    }

    // ---- deserialisation ---------------------------------------------------------------

    /// Deserialises each section (and each entry of each section) on its own, so that one
    /// type error per entry is reported rather than one per file.
    fn deserialize(&mut self, root: &Node) -> Option<ScenarioFile> {
        let top = Loc {
            file: 0,
            span: 0..0,
        };
        let Kind::Table(entries) = &root.kind else {
            return None;
        };
        let known = fields_of::<ScenarioFile>();
        let mut ok = true;
        for (k, v) in entries {
            if !known.contains(&k.as_str()) {
                self.unknown_key(k, &v.at, known);
            }
        }
        let run = match root.get("run") {
            Some(n) => self.de::<RunSpec>(root, n, &[Seg::Key("run".into())]),
            None => {
                self.diag(
                    &top,
                    "run",
                    "missing [run] section",
                    Some("add [run] with name, first_year and last_year".into()),
                );
                None
            }
        };
        ok &= run.is_some();
        let mut section = |name: &str| -> (bool, Vec<Node>) {
            match root.get(name) {
                None => (true, Vec::new()),
                Some(Node {
                    kind: Kind::Array(a),
                    ..
                }) => (true, a.clone()),
                Some(n) => {
                    let at = n.at.clone();
                    let got = n.type_name();
                    self.diag(
                        &at,
                        name,
                        format!("must be an array of tables, got a {got}"),
                        Some(format!("write each entry as [[{name}]]")),
                    );
                    (false, Vec::new())
                }
            }
        };
        let raw: Vec<(&str, bool, Vec<Node>)> = ID_SECTIONS
            .iter()
            .map(|s| {
                let (good, items) = section(s);
                (*s, good, items)
            })
            .collect();
        let mut nodes = Vec::new();
        let mut links = Vec::new();
        let mut wagon_pools = Vec::new();
        let mut routes = Vec::new();
        let mut flows = Vec::new();
        let mut timeline = Vec::new();
        let mut disruptions = Vec::new();
        let mut targets = Vec::new();
        let mut investments = Vec::new();
        let mut alternatives = Vec::new();
        for (name, good, items) in &raw {
            ok &= *good;
            for (i, item) in items.iter().enumerate() {
                let segs = [Seg::Key((*name).to_string()), Seg::Index(i)];
                let done = match *name {
                    "nodes" => self
                        .de::<NodeSpec>(root, item, &segs)
                        .map(|x| nodes.push(x)),
                    "links" => self
                        .de::<LinkSpec>(root, item, &segs)
                        .map(|x| links.push(x)),
                    "wagon_pools" => self
                        .de::<WagonPoolSpec>(root, item, &segs)
                        .map(|x| wagon_pools.push(x)),
                    "routes" => self
                        .de::<RouteSpec>(root, item, &segs)
                        .map(|x| routes.push(x)),
                    "flows" => self
                        .de::<FlowSpec>(root, item, &segs)
                        .map(|x| flows.push(x)),
                    "timeline" => self
                        .de::<ChangeSpec>(root, item, &segs)
                        .map(|x| timeline.push(x)),
                    "disruptions" => self
                        .de::<DisruptionSpec>(root, item, &segs)
                        .map(|x| disruptions.push(x)),
                    "investments" => self
                        .de::<InvestmentSpec>(root, item, &segs)
                        .map(|x| investments.push(x)),
                    "alternatives" => self
                        .de::<AlternativeSpec>(root, item, &segs)
                        .map(|x| alternatives.push(x)),
                    _ => self
                        .de::<TargetSpec>(root, item, &segs)
                        .map(|x| targets.push(x)),
                };
                ok &= done.is_some();
            }
        }
        let appraisal = match root.get("appraisal") {
            Some(n) => {
                let a = self.de::<AppraisalSpec>(root, n, &[Seg::Key("appraisal".into())]);
                ok &= a.is_some();
                a
            }
            None => None,
        };
        let costs = match root.get("costs") {
            Some(n) => {
                let c = self.de::<CostsSpec>(root, n, &[Seg::Key("costs".into())]);
                ok &= c.is_some();
                c
            }
            None => None,
        };
        let run = run?;
        if !ok {
            return None;
        }
        let file = ScenarioFile {
            extends: None,
            remove: Vec::new(),
            run,
            nodes,
            links,
            wagon_pools,
            routes,
            flows,
            timeline,
            disruptions,
            targets,
            investments,
            appraisal,
            costs,
            alternatives,
        };
        let issues = validate(&file);
        if !issues.is_empty() {
            let index = build_index(root);
            for issue in issues {
                let at = locate(&index, &issue.path).unwrap_or_else(|| top.clone());
                self.diag(&at, issue.path, issue.message, issue.hint);
            }
        }
        Some(file)
    }

    /// Deserialises one entry, reporting its unknown keys and every type error in it: after
    /// an error the offending key is taken out and the entry tried again (up to
    /// `MAX_TYPE_ERRORS_PER_ENTRY`), so that `berths = -1` no longer hides the entry's
    /// other mistakes. A "missing field" that only the removal caused is not reported.
    fn de<T: DeserializeOwned>(&mut self, root: &Node, node: &Node, prefix: &[Seg]) -> Option<T> {
        let mut value = node.to_value();
        let mut removed: Vec<Vec<Seg>> = Vec::new();
        for attempt in 0..MAX_TYPE_ERRORS_PER_ENTRY {
            let mut ignored: Vec<Vec<Seg>> = Vec::new();
            let result: Result<T, _> = {
                let mut record = |p: serde_ignored::Path<'_>| {
                    let mut segs = prefix.to_vec();
                    ignored_segs(&p, &mut segs);
                    ignored.push(segs);
                };
                serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
                    value.clone(),
                    &mut record,
                ))
            };
            // Unknown keys are the same on every attempt: report them once.
            if attempt == 0 {
                for segs in ignored {
                    let (path, at, shape) = resolve(root, &segs);
                    let key = shape.last().cloned().unwrap_or_default();
                    let parent: Vec<&str> = shape
                        .iter()
                        .take(shape.len().saturating_sub(1))
                        .map(String::as_str)
                        .collect();
                    let known = known_keys(&parent);
                    self.unknown_key_at(&key, &path, &at, &known);
                }
            }
            let e = match result {
                Ok(t) if removed.is_empty() => return Some(t),
                Ok(_) => return None,
                Err(e) => e,
            };
            let mut rel: Vec<Seg> = Vec::new();
            for s in e.path().iter() {
                match s {
                    serde_path_to_error::Segment::Seq { index } => rel.push(Seg::Index(*index)),
                    serde_path_to_error::Segment::Map { key } => rel.push(Seg::Key(key.clone())),
                    serde_path_to_error::Segment::Enum { variant } => {
                        rel.push(Seg::Key(variant.clone()))
                    }
                    serde_path_to_error::Segment::Unknown => {}
                }
            }
            let message = e.inner().message().to_string();
            let caused_by_removal = message
                .strip_prefix("missing field `")
                .and_then(|m| m.split('`').next())
                .is_some_and(|field| {
                    removed.iter().any(|r| {
                        r.len() == rel.len() + 1
                            && r.starts_with(&rel)
                            && matches!(r.last(), Some(Seg::Key(k)) if k == field)
                    })
                });
            if caused_by_removal {
                return None;
            }
            let mut segs = prefix.to_vec();
            segs.extend(rel.iter().cloned());
            let (path, at, _) = resolve(root, &segs);
            let hint = type_error_hint(&message, &path);
            self.diag(&at, path, message, hint);
            // Take the offending key out (the top-level key holding it, if it sits inside
            // an array) and look for the next mistake.
            let cut: Vec<Seg> = match rel.iter().position(|s| matches!(s, Seg::Index(_))) {
                Some(i) if i > 0 => rel[..i].to_vec(),
                Some(_) => return None,
                None => rel.clone(),
            };
            if cut.is_empty() || !remove_at(&mut value, &cut) {
                return None;
            }
            removed.push(cut);
        }
        None
    }

    fn unknown_key(&mut self, key: &str, at: &Loc, known: &[&str]) {
        self.unknown_key_at(key, key, at, known);
    }

    fn unknown_key_at(&mut self, key: &str, path: &str, at: &Loc, known: &[&str]) {
        let hint = match closest(key, known.iter().copied()) {
            // Renamed when berth time became per box: say what replaces it.
            _ if key == "vessel_handling_hours" => Some(
                "replaced by vessel_call_hours (the fixed part of a call) plus quay_moves_per_hour (and quay_cranes_per_vessel) for feeders or ferry_wagons_per_hour for rail ferries: a berth is now held for the call plus the boxes moved, not a fixed time whatever the load".to_string(),
            ),
            Some(c) => Some(format!("did you mean `{c}`?")),
            None if known.is_empty() => None,
            None => Some(format!("known keys here: {}", known.join(", "))),
        };
        self.diag(at, path, format!("unknown key `{key}`"), hint);
    }
}

/// The closest ancestor of `path` (itself included) that was written somewhere.
fn locate(index: &HashMap<String, Loc>, path: &str) -> Option<Loc> {
    let mut p = path;
    loop {
        if let Some(at) = index.get(p) {
            return Some(at.clone());
        }
        let cut = p.rfind(['.', '['])?;
        p = p.get(..cut)?;
    }
}

fn take_key(root: &mut Node, key: &str) -> Option<Node> {
    let Kind::Table(t) = &mut root.kind else {
        return None;
    };
    let i = t.iter().position(|(k, _)| k == key)?;
    Some(t.remove(i).1)
}

/// Merges `over` into `base`: tables key by key, id-keyed arrays entry by entry (new ids
/// appended), anything else replaced whole.
fn merge(base: &mut Node, over: Node, key: &str, is_root: bool, parent_is_root: bool) {
    let over_at = over.at;
    match (&mut base.kind, over.kind) {
        (Kind::Table(bt), Kind::Table(ot)) => {
            base.at = over_at;
            for (k, v) in ot {
                match bt.iter_mut().find(|(bk, _)| bk == &k) {
                    Some((_, bv)) => merge(bv, v, &k, false, is_root),
                    None => bt.push((k, v)),
                }
            }
        }
        (Kind::Array(ba), Kind::Array(oa)) if id_key(key, parent_is_root).is_some() => {
            let idk = id_key(key, parent_is_root).unwrap_or("id");
            let elem_key = format!("{key}[]");
            base.at = over_at;
            for e in oa {
                let target = elem_id(&e, idk)
                    .and_then(|id| ba.iter().position(|b| elem_id(b, idk) == Some(id)));
                match target.and_then(|i| ba.get_mut(i)) {
                    Some(b) => merge(b, e, &elem_key, false, false),
                    None => ba.push(e),
                }
            }
        }
        (_, kind) => {
            *base = Node { at: over_at, kind };
        }
    }
}

/// Removes the entry or key named by `what` (`nodes.kuryk`, `links.x.sea.fleet.f350`,
/// `nodes.aktau.yard_capacity_teu`); on failure returns a hint naming what is there.
fn remove_path(base: &mut Node, what: &str) -> Result<(), Option<String>> {
    let segs: Vec<&str> = what.split('.').collect();
    let mut node = base;
    let mut key = String::new();
    let mut parent_is_root = false;
    let mut is_root = true;
    for (n, seg) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        let (idx, names): (Option<usize>, Vec<String>) = match &node.kind {
            Kind::Table(t) => (
                t.iter().position(|(k, _)| k == seg),
                t.iter().map(|(k, _)| k.clone()).collect(),
            ),
            Kind::Array(a) => match id_key(&key, parent_is_root) {
                Some(idk) => (
                    a.iter().position(|e| elem_id(e, idk) == Some(seg)),
                    a.iter()
                        .filter_map(|e| elem_id(e, idk))
                        .map(str::to_string)
                        .collect(),
                ),
                None => (None, Vec::new()),
            },
            Kind::Leaf(_) => (None, Vec::new()),
        };
        let Some(i) = idx else {
            let hint = match closest(seg, names.iter().map(String::as_str)) {
                Some(c) => format!("no `{seg}` there; did you mean `{c}`?"),
                None if names.is_empty() => format!("no `{seg}` there"),
                None => format!("no `{seg}` there; it has: {}", names.join(", ")),
            };
            return Err(Some(hint));
        };
        if last {
            match &mut node.kind {
                Kind::Table(t) if i < t.len() => {
                    t.remove(i);
                }
                Kind::Array(a) if i < a.len() => {
                    a.remove(i);
                }
                _ => return Err(None),
            }
            return Ok(());
        }
        let is_table = matches!(node.kind, Kind::Table(_));
        let cur = node;
        let next = match &mut cur.kind {
            Kind::Table(t) => t.get_mut(i).map(|(_, v)| v),
            Kind::Array(a) => a.get_mut(i),
            Kind::Leaf(_) => None,
        };
        let Some(next) = next else { return Err(None) };
        node = next;
        parent_is_root = is_root;
        is_root = false;
        key = if is_table {
            (*seg).to_string()
        } else {
            format!("{key}[]")
        };
    }
    Err(None)
}

fn ignored_segs(p: &serde_ignored::Path<'_>, out: &mut Vec<Seg>) {
    match p {
        serde_ignored::Path::Root => {}
        serde_ignored::Path::Seq { parent, index } => {
            ignored_segs(parent, out);
            out.push(Seg::Index(*index));
        }
        serde_ignored::Path::Map { parent, key } => {
            ignored_segs(parent, out);
            out.push(Seg::Key(key.clone()));
        }
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => ignored_segs(parent, out),
    }
}

/// Removes the key at `path` (keys only) from a TOML value; false when it is not there.
fn remove_at(value: &mut toml::Value, path: &[Seg]) -> bool {
    match path {
        [Seg::Key(k)] => value.as_table_mut().is_some_and(|t| t.remove(k).is_some()),
        [Seg::Key(k), rest @ ..] => value
            .as_table_mut()
            .and_then(|t| t.get_mut(k))
            .is_some_and(|v| remove_at(v, rest)),
        _ => false,
    }
}

fn type_error_hint(message: &str, path: &str) -> Option<String> {
    if message.contains("expected u32") || message.contains("expected u64") {
        return Some("a whole number, 0 or more, without sign or decimals".into());
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let mut words = rest.split('`').step_by(2);
        let given = words.next().unwrap_or_default();
        let options: Vec<&str> = words.filter(|w| !w.is_empty()).collect();
        return closest(given, options.iter().copied()).map(|c| format!("did you mean `{c}`?"));
    }
    if path.contains(".set") && message.contains("invalid type: map") {
        return Some("quote the parameter path: set = { \"nodes.aktau.cranes\" = 6 }".into());
    }
    if message.contains("expected a TOML datetime") || message.contains("a date like") {
        return Some("write a date like 2028-01-01".into());
    }
    None
}

/// The keys a struct at `shape` (keys, `*` for array entries) accepts, for suggestions.
fn known_keys(shape: &[&str]) -> Vec<&'static str> {
    match shape {
        [] => fields_of::<ScenarioFile>().to_vec(),
        ["run"] => fields_of::<RunSpec>().to_vec(),
        ["nodes", "*"] => fields_of::<NodeSpec>().to_vec(),
        ["links", "*"] => fields_of::<LinkSpec>().to_vec(),
        ["links", "*", "rail"] => fields_of::<RailSpec>().to_vec(),
        ["links", "*", "sea"] => fields_of::<SeaSpec>().to_vec(),
        ["links", "*", "sea", "fleet", "*"] => fields_of::<VesselClassSpec>().to_vec(),
        ["links", "*", "sea", "storms"] => fields_of::<StormSpec>().to_vec(),
        ["wagon_pools", "*"] => fields_of::<WagonPoolSpec>().to_vec(),
        ["routes", "*"] => fields_of::<RouteSpec>().to_vec(),
        ["flows", "*"] => fields_of::<FlowSpec>().to_vec(),
        ["flows", "*", "routes", "*"] => fields_of::<RouteShare>().to_vec(),
        ["flows", "*", "route_choice"] => fields_of::<RouteChoiceSpec>().to_vec(),
        ["flows", "*", "market"] => fields_of::<MarketSpec>().to_vec(),
        ["alternatives", "*"] => fields_of::<AlternativeSpec>().to_vec(),
        ["timeline", "*"] => fields_of::<ChangeSpec>().to_vec(),
        ["disruptions", "*"] => fields_of::<DisruptionSpec>().to_vec(),
        ["targets", "*"] => fields_of::<TargetSpec>().to_vec(),
        ["investments", "*"] => fields_of::<InvestmentSpec>().to_vec(),
        ["appraisal"] => fields_of::<AppraisalSpec>().to_vec(),
        ["costs"] => fields_of::<CostsSpec>().to_vec(),
        [.., d, "exponential"] if DIST_KEYS.contains(d) => fields_of::<ExponentialSpec>().to_vec(),
        [.., d, variant] if DIST_KEYS.contains(d) => DIST_VARIANT_FIELDS
            .iter()
            .find(|(v, _)| v == variant)
            .map(|(_, f)| f.to_vec())
            .unwrap_or_default(),
        [.., d] if DIST_KEYS.contains(d) => fields_of::<crate::engine::DistSpec>().to_vec(),
        _ => Vec::new(),
    }
}

/// The field names serde knows for `T` (a struct's fields, an enum's variants), read from
/// the derive itself so that suggestions can never drift from the schema.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Names<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("field names only"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("field names only"))
        }
        fn deserialize_enum<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = variants;
            Err(serde::de::Error::custom("field names only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
        }
    }
    let mut out: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut out));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn field_names_come_from_serde() {
        assert!(fields_of::<NodeSpec>().contains(&"cranes"));
        assert!(fields_of::<ScenarioFile>().contains(&"timeline"));
        assert!(fields_of::<crate::engine::DistSpec>().contains(&"triangular"));
        assert!(fields_of::<ExponentialSpec>().contains(&"rate"));
    }

    #[test]
    fn struct_variant_field_lists_match_serde() {
        // Every listed field is accepted (nothing ignored) and together they suffice.
        for (variant, fields) in DIST_VARIANT_FIELDS {
            let body: Vec<String> = fields
                .iter()
                .map(|f| match *f {
                    "values" | "weights" => format!("{f} = [1.0]"),
                    "k" => "k = 2".to_string(),
                    _ => format!("{f} = 1.0"),
                })
                .collect();
            let text = format!("d = {{ {variant} = {{ {} }} }}", body.join(", "));
            let v: toml::Value = toml::from_str(&text).unwrap();
            let d = v.get("d").cloned().unwrap();
            let mut ignored = Vec::new();
            let r: Result<crate::engine::DistSpec, _> =
                Deserialize::deserialize(serde_ignored::Deserializer::new(d, &mut |p| {
                    ignored.push(p.to_string())
                }));
            assert!(r.is_ok(), "{variant}: {r:?}");
            assert!(ignored.is_empty(), "{variant}: {ignored:?}");
        }
        // And every struct-like variant of DistSpec is listed (or is `exponential`).
        for v in fields_of::<crate::engine::DistSpec>() {
            let tuple_like = ["constant", "uniform", "triangular", "exponential"].contains(v);
            assert!(
                tuple_like || DIST_VARIANT_FIELDS.iter().any(|(n, _)| n == v),
                "DistSpec variant `{v}` missing from DIST_VARIANT_FIELDS"
            );
        }
    }

    #[test]
    fn line_col_counts_characters() {
        let t = "ab\nçd = 1\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 5), (2, 2)); // after the two-byte ç
        assert_eq!(line_col(t, 4), (2, 1)); // inside ç: clamps back
        assert_eq!(line_col(t, 999), (3, 1));
    }
}
