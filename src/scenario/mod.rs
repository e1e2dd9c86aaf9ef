//! Scenario files: TOML → validated `ScenarioFile`.
//!
//! Loading resolves `extends`, reports every problem it can find at once with file, line,
//! column and field path, and never panics on any input. It must never simulate or write
//! files; the model receives an already-valid scenario.

pub mod diagnostic;
pub mod load;
pub mod money;
pub mod params;
pub mod schema;
pub mod target;
pub mod validate;

pub use diagnostic::{Diagnostic, ScenarioError};
pub use load::{FieldLocations, LoadedScenario, load, load_str};
pub use money::{CostsSpec, Money, RateSpec};
pub use params::ParamPath;
pub use schema::*;
pub use target::Target;
pub use validate::{Issue, validate};
