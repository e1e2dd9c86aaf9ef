//! Short names of places, the one place they are derived: a node's id title-cased
//! ("beyuk-kesik" → "Beyuk-Kesik") and a link as "From → To" ("Aktau → Alat"), with its
//! mode only when two links join the same pair of nodes.
//!
//! The full names of `nodes.csv` ("Baku International Sea Trade Port (Alat)") are too long
//! for a chart label or a sentence a minister reads; the ids are what scenario authors
//! chose as short names, so they are the base. Subjects that are neither a node nor a link
//! (the corridor, flows, routes) keep their id. The console, the charts and the report all
//! name places through `PlaceNames`, so that a place reads the same everywhere.

use std::collections::BTreeMap;
use std::path::Path;

use crate::output::network::{
    LINKS_CSV, LinkRow, NODES_CSV, NodeRow, read_links_csv, read_nodes_csv,
};

/// A node id as a name: each `-`-separated word capitalised, `_` read as a space.
pub fn node_short_name(id: &str) -> String {
    let word = |w: &str| {
        let mut c = w.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect::<String>(),
            None => String::new(),
        }
    };
    id.split('_')
        .map(|part| part.split('-').map(word).collect::<Vec<_>>().join("-"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Clone)]
struct LinkEnds {
    from: String,
    to: String,
    mode: String,
}

/// The short names of one network's places.
#[derive(Debug, Clone, Default)]
pub struct PlaceNames {
    nodes: BTreeMap<String, String>,
    links: BTreeMap<String, LinkEnds>,
}

impl PlaceNames {
    /// From the rows of `nodes.csv` and `links.csv` (of one scenario, or of several that
    /// share ids: the first row of an id wins).
    pub fn new<'a>(
        nodes: impl IntoIterator<Item = &'a NodeRow>,
        links: impl IntoIterator<Item = &'a LinkRow>,
    ) -> PlaceNames {
        let mut out = PlaceNames::default();
        for n in nodes {
            out.nodes
                .entry(n.id.clone())
                .or_insert_with(|| node_short_name(&n.id));
        }
        for l in links {
            out.links.entry(l.id.clone()).or_insert_with(|| LinkEnds {
                from: l.from.clone(),
                to: l.to.clone(),
                mode: l.mode.clone(),
            });
        }
        out
    }

    /// From a results folder's `nodes.csv` and `links.csv`; a missing or unreadable table
    /// leaves ids as they are (names are a convenience, never a reason to fail a run).
    pub fn load(dir: &Path) -> PlaceNames {
        let nodes = read_nodes_csv(&dir.join(NODES_CSV))
            .ok()
            .flatten()
            .unwrap_or_default();
        let links = read_links_csv(&dir.join(LINKS_CSV))
            .ok()
            .flatten()
            .unwrap_or_default();
        PlaceNames::new(&nodes, &links)
    }

    fn node(&self, id: &str) -> String {
        self.nodes
            .get(id)
            .cloned()
            .unwrap_or_else(|| node_short_name(id))
    }

    /// The short name of a subject: "Alat", "Aktau → Alat", or the id itself.
    pub fn short(&self, subject: &str) -> String {
        if let Some(n) = self.nodes.get(subject) {
            return n.clone();
        }
        if let Some(l) = self.links.get(subject) {
            let twin = self
                .links
                .iter()
                .any(|(id, o)| id != subject && o.from == l.from && o.to == l.to);
            let base = format!("{} → {}", self.node(&l.from), self.node(&l.to));
            return if twin {
                format!("{base} ({})", l.mode)
            } else {
                base
            };
        }
        subject.to_string()
    }

    /// Whether the subject is a node or link of the network.
    pub fn is_place(&self, subject: &str) -> bool {
        self.nodes.contains_key(subject) || self.links.contains_key(subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> NodeRow {
        NodeRow {
            scenario: "s".into(),
            id: id.into(),
            name: format!("The long name of {id}"),
            kind: "port".into(),
            country: "KZ".into(),
            lat: f64::NAN,
            lon: f64::NAN,
        }
    }

    fn link(id: &str, from: &str, to: &str, mode: &str) -> LinkRow {
        LinkRow {
            scenario: "s".into(),
            id: id.into(),
            from: from.into(),
            to: to.into(),
            mode: mode.into(),
            distance_km: f64::NAN,
        }
    }

    #[test]
    fn nodes_and_links_read_short() {
        let nodes = [node("aktau"), node("alat"), node("beyuk-kesik")];
        let links = [
            link("aktau-alat", "aktau", "alat", "sea"),
            link("alat-beyuk-kesik", "alat", "beyuk-kesik", "rail"),
            link("alat-bk-road", "alat", "beyuk-kesik", "road"),
        ];
        let names = PlaceNames::new(&nodes, &links);
        assert_eq!(names.short("aktau"), "Aktau");
        assert_eq!(names.short("beyuk-kesik"), "Beyuk-Kesik");
        assert_eq!(names.short("aktau-alat"), "Aktau → Alat");
        assert_eq!(names.short("alat-beyuk-kesik"), "Alat → Beyuk-Kesik (rail)");
        assert_eq!(names.short("corridor"), "corridor");
        assert_eq!(names.short("titr-westbound"), "titr-westbound");
        assert_eq!(node_short_name("south_poti"), "South Poti");
    }
}
