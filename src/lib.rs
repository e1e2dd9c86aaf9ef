//! `corridor`: a discrete-event simulator of container flows on the Middle Corridor
//! (Trans-Caspian International Transport Route: China → Kazakhstan → Caspian Sea →
//! Azerbaijan → Georgia → Türkiye/Europe).
//!
//! Data flows one way: a scenario file is loaded and validated (`scenario`), turned into a
//! model whose ids are resolved to indices, simulated on the generic discrete-event
//! `engine`, and each replication's results are summarised across replications and written
//! out. The engine knows nothing of freight; the model knows nothing of files or plots.

pub mod analysis;
pub mod batch;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod output;
pub mod queueing;
pub mod scenario;
