fn main() {
    let path = std::env::args().nth(1).expect("scenario");
    let text = std::fs::read_to_string(&path).unwrap();
    let s: corridor::scenario::ScenarioFile = toml::from_str(&text).unwrap();
    let m = corridor::model::Model::build(&s).unwrap();
    let t = std::time::Instant::now();
    let r = m.run(0);
    eprintln!(
        "{:?} events {} cons {:?}",
        t.elapsed(),
        r.events,
        r.conservation
    );
    for rec in &r.records {
        if rec.value != 0.0 && !rec.value.is_nan() {
            println!(
                "{} {} {} {:.4}",
                rec.year, rec.metric, rec.subject, rec.value
            );
        }
    }
}
