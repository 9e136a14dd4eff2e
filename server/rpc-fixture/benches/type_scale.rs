//! `npm run bench:types`: the bindings at scale. Exports the 1,000-procedure router
//! (`isthmus_rpc_fixture::scale`) and type-checks 100 calls against it with `tsc
//! --extendedDiagnostics`; prints the median export time, the size of the bindings, the median
//! wall time of `tsc` and its own figures (types, instantiations, memory), so that a change
//! that makes editors slow shows here first.

use std::{path::Path, process::Command, time::Instant};

use isthmus_rpc_fixture::{State, scale};

const ROUNDS: usize = 5;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().and_then(Path::parent).unwrap();
    let mut bindings = String::new();
    let export = median(
        (0..ROUNDS)
            .map(|_| {
                let started = Instant::now();
                bindings = isthmus_rpc::typescript::<State, _>(&scale::router()).expect("the scale router exports");
                started.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!("export of 1,000 procedures (router built and rendered): {:.3} s (median of {ROUNDS})", export);
    println!("generated.ts: {} lines, {} KB", bindings.lines().count(), bindings.len() / 1024);

    let dir = workspace.join("target/type-scale");
    std::fs::create_dir_all(&dir).unwrap();
    let client = workspace.join("bindings/src/client").display().to_string();
    scale::write_project(&dir, &bindings, &scale::calls_typescript(&client)).unwrap();
    let tsc = workspace.join("node_modules/.bin/tsc");
    let mut report = String::new();
    let wall = median(
        (0..ROUNDS)
            .map(|_| {
                let started = Instant::now();
                let output = Command::new(&tsc)
                    .args(["--noEmit", "--extendedDiagnostics", "-p"])
                    .arg(&dir)
                    .output()
                    .expect("tsc runs: `npm ci` first");
                let elapsed = started.elapsed().as_secs_f64();
                report = String::from_utf8_lossy(&output.stdout).into_owned();
                assert!(output.status.success(), "the 100 calls type-check:\n{report}");
                elapsed
            })
            .collect(),
    );
    println!("tsc over 100 calls: {wall:.2} s wall (median of {ROUNDS}); its figures, last run:");
    for line in report.lines().filter(|line| {
        ["Types:", "Instantiations:", "Memory used:", "Check time:", "Total time:"]
            .iter()
            .any(|figure| line.starts_with(figure))
    }) {
        println!("  {line}");
    }
}
