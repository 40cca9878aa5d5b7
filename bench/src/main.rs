//! zarrio-bench: the benchmark harness for zarrio.
//!
//! zarrio-bench generate --n 512 --dir DIR [--force]
//! zarrio-bench run --impl zarrio|zarrs|zarrs_ffi|floor|floor_io|memcpy|memcpy_malloc|memcpy_place
//!                  --workload read_all|read_all_f|by_chunk|by_inner|roundtrip
//!                  --dataset U|Z|S|small [--concurrency 1|2] --dir DIR
//!                  [--reps 5] [--warmup 1] [--budget SECONDS] [--scratch DIR]
//!
//! `run` prints one JSON line (seconds per repetition, median, checksum,
//! peak RSS of this process). Run each measurement in a fresh process.
//! `--budget`: stop adding repetitions once the timed ones add up to this
//! many seconds (never fewer than 3). `--scratch`: where round trips write
//! their copies (default DIR/scratch).

mod common;
mod datasets;
mod floor;
mod imp_zarrio;
mod imp_zarrs;
mod imp_zarrs_ffi;

use common::*;
use std::collections::HashMap;
use std::path::PathBuf;

fn args() -> (String, HashMap<String, String>) {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().unwrap_or_default();
    let mut map = HashMap::new();
    let rest: Vec<String> = it.collect();
    let mut i = 0;
    while i < rest.len() {
        let k = rest[i].trim_start_matches("--").to_string();
        if i + 1 < rest.len() && !rest[i + 1].starts_with("--") {
            map.insert(k, rest[i + 1].clone());
            i += 2;
        } else {
            map.insert(k, "1".into());
            i += 1;
        }
    }
    (cmd, map)
}

fn get<'a>(m: &'a HashMap<String, String>, k: &str) -> R<&'a str> {
    m.get(k)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("missing --{k}"))
}

fn num<T: std::str::FromStr>(m: &HashMap<String, String>, k: &str, default: T) -> R<T> {
    match m.get(k) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("--{k}: not a number: {v}")),
    }
}

fn run(m: &HashMap<String, String>) -> R<serde_json::Value> {
    let dir = PathBuf::from(get(m, "dir")?);
    let scratch = m
        .get("scratch")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("scratch"));
    let spec = RunSpec {
        imp: get(m, "impl")?.to_string(),
        workload: Workload::parse(get(m, "workload")?)?,
        dataset: Dataset::parse(get(m, "dataset")?)?,
        concurrency: num(m, "concurrency", 1)?,
        n: dataset_n(&dir)?,
        dir,
        scratch,
        reps: num(m, "reps", 5)?,
        warmup: num(m, "warmup", 1)?,
        budget_s: num(m, "budget", 1e9)?,
        lib_threads: num(m, "lib-threads", 0)?,
    };
    if spec.lib_threads != 0 && spec.imp != "zarrio" {
        return Err("--lib-threads is for zarrio only".into());
    }
    if spec.workload == Workload::ByInner && spec.dataset != Dataset::S {
        return Err("by_inner is for dataset S only".into());
    }
    match spec.imp.as_str() {
        "zarrio" => imp_zarrio::run(&spec),
        "zarrs" => imp_zarrs::run(&spec),
        "zarrs_ffi" => imp_zarrs_ffi::run(&spec),
        "floor" => floor::run(&spec, false, true),
        "memcpy" => floor::run(&spec, true, true),
        "memcpy_malloc" => floor::run(&spec, true, false),
        "floor_io" => floor::run_io(&spec),
        "memcpy_place" => floor::run_place(&spec),
        x => Err(format!("unknown impl {x:?}")),
    }
}

fn main() {
    let (cmd, m) = args();
    let r = match cmd.as_str() {
        "generate" => (|| {
            let n = num(&m, "n", 512u64)?;
            datasets::generate(n, &PathBuf::from(get(&m, "dir")?), m.contains_key("force"))
        })(),
        "run" => match run(&m) {
            Ok(v) => {
                println!("{v}");
                Ok(())
            }
            Err(e) => {
                let v = serde_json::json!({
                    "impl": m.get("impl"), "workload": m.get("workload"), "dataset": m.get("dataset"),
                    "concurrency": m.get("concurrency").and_then(|c| c.parse::<u64>().ok()).unwrap_or(1),
                    "error": e,
                });
                println!("{v}");
                Err(e)
            }
        },
        "expected" => (|| {
            let n = num(&m, "n", 512u64)?;
            println!("{:016x}", expected_checksum(n));
            Ok(())
        })(),
        _ => Err("usage: zarrio-bench generate --n N --dir DIR | run --impl I --workload W --dataset D [--concurrency C] [--lib-threads T] --dir DIR [--reps R] [--warmup W]".into()),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
