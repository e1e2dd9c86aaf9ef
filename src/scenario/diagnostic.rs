//! What the loader says when a scenario is not acceptable: one `Diagnostic` per problem,
//! each pointing at a file, a line, a column and a field path, with a hint of what would
//! be right; `ScenarioError` carries all of them at once.
//!
//! Every variant of `ScenarioError` is bad input (the CLI maps them all to exit code 2).
//! This module must never read files or decide what is valid; it only describes problems.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in (a base file when the problem comes from `extends`).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters (Unicode scalar values), not bytes.
    pub column: usize,
    /// Field path with ids rather than indices, e.g. `nodes.aktau.cranes`; empty for
    /// syntax errors, which belong to no field.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What would be right, when it can be said.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(
        file: &Path,
        line: usize,
        column: usize,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: file.to_path_buf(),
            line,
            column,
            path: path.into(),
            message: message.into(),
            hint,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Why a scenario could not be loaded. Both variants are bad input.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file was read but is not a valid scenario: every problem found, in file order.
    /// Never empty.
    #[error("{}", list(.0))]
    Invalid(Vec<Diagnostic>),
    /// The scenario file itself could not be read (missing, a directory, no permission).
    /// Unreadable base files of `extends` are diagnostics instead, at the `extends` key.
    #[error("cannot read scenario file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ScenarioError {
    /// The diagnostics (empty for `Io`).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Invalid(d) => d,
            ScenarioError::Io { .. } => &[],
        }
    }
}

fn list(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    let n = diagnostics.len();
    out.push_str(&format!(
        "{n} problem{} in scenario",
        if n == 1 { "" } else { "s" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_line_column_path_and_hint() {
        let d = Diagnostic::new(
            Path::new("scenarios/x.toml"),
            12,
            5,
            "nodes.aktau.cranes",
            "must be >= 1, got 0",
            Some("e.g. cranes = 4".into()),
        );
        assert_eq!(
            d.to_string(),
            "scenarios/x.toml:12:5: nodes.aktau.cranes: must be >= 1, got 0 (hint: e.g. cranes = 4)"
        );
        let syntax = Diagnostic::new(Path::new("a.toml"), 1, 3, "", "bad", None);
        assert_eq!(syntax.to_string(), "a.toml:1:3: bad");
        let e = ScenarioError::Invalid(vec![d, syntax]);
        assert!(e.to_string().ends_with("2 problems in scenario"));
        assert_eq!(e.diagnostics().len(), 2);
    }
}
