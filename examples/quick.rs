fn main() {
    let path = std::env::args().nth(1).expect("scenario");
    let s = match corridor::scenario::load(std::path::Path::new(&path)) {
        Ok(s) => s,
        Err(e) => {
            for d in e.diagnostics() {
                eprintln!("{d}");
            }
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let m = corridor::model::Model::build(&s.file).unwrap();
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
