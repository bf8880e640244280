//! Benchmark of the mapping suggester on the shared schema pairs: the metrics of the reference
//! `score.py` (macro P/R/F1 at confidence ≥ 0.5 and recall@|truth|, per file and overall), timing,
//! and a synthetic 500 × 500 speed check.
//!
//! Usage: `cargo bench --bench mapping_suggest -- [DIR] [--out PREDICTIONS.json] [--cases] [--show CASE_ID] [--method greedy|hungarian]`
//! DIR (or `PATCHBAY_BENCH_DIR`, default `../shared/bench`) holds `mapping/*.jsonl`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use patchbay::mapping::suggest::{Feedback, Field, Method, Schema, SuggestOptions, suggest};
use serde::Deserialize;
use serde_json::{Value, json};

const FILES: [&str; 3] = ["nango.jsonl", "valentine.jsonl", "schematch.jsonl"];

#[derive(Deserialize)]
struct Case {
    id: String,
    source: Schema,
    target: Schema,
    truth: Vec<(String, String)>,
}

/// Per-case figures, as `score.py` computes them.
#[derive(Default, Clone, Copy)]
struct Score {
    p: f64,
    r: f64,
    f1: f64,
    p05: f64,
    r05: f64,
    f105: f64,
    rgt: f64,
    tp05: usize,
    n05: usize,
    ngt: usize,
    npred: usize,
}

fn prf(pred: &[(String, String)], truth: &[(String, String)]) -> (f64, f64, f64, usize) {
    let tp = pred.iter().filter(|p| truth.contains(p)).count();
    let p = if pred.is_empty() {
        0.0
    } else {
        tp as f64 / pred.len() as f64
    };
    let r = if truth.is_empty() {
        0.0
    } else {
        tp as f64 / truth.len() as f64
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f, tp)
}

fn score_case(truth: &[(String, String)], preds: &[(String, String, f64)]) -> Score {
    let mut truth_set: Vec<(String, String)> = Vec::new();
    for t in truth {
        if !truth_set.contains(t) {
            truth_set.push(t.clone());
        }
    }
    // Best confidence per pair, in order of first appearance (Python dicts keep insertion order,
    // and its stable sort keeps that order among ties).
    let mut order: Vec<(String, String)> = Vec::new();
    let mut best: HashMap<(String, String), f64> = HashMap::new();
    for (s, t, c) in preds {
        let k = (s.clone(), t.clone());
        match best.get_mut(&k) {
            Some(v) => *v = v.max(*c),
            None => {
                order.push(k.clone());
                best.insert(k, *c);
            }
        }
    }
    let conf = |k: &(String, String)| best.get(k).copied().unwrap_or(f64::NEG_INFINITY);
    let mut ranked = order.clone();
    ranked.sort_by(|a, b| conf(b).total_cmp(&conf(a)));
    let hi: Vec<(String, String)> = order.iter().filter(|k| conf(k) >= 0.5).cloned().collect();
    let (p, r, f1, _) = prf(&order, &truth_set);
    let (p05, r05, f105, tp05) = prf(&hi, &truth_set);
    let top: Vec<(String, String)> = ranked.into_iter().take(truth_set.len()).collect();
    let rgt = if truth_set.is_empty() {
        0.0
    } else {
        top.iter().filter(|k| truth_set.contains(k)).count() as f64 / truth_set.len() as f64
    };
    Score {
        p,
        r,
        f1,
        p05,
        r05,
        f105,
        rgt,
        tp05,
        n05: hi.len(),
        ngt: truth_set.len(),
        npred: order.len(),
    }
}

fn summary(label: &str, rows: &[Score]) {
    let n = rows.len().max(1) as f64;
    let avg = |f: fn(&Score) -> f64| rows.iter().map(f).sum::<f64>() / n;
    let tp: usize = rows.iter().map(|r| r.tp05).sum();
    let np: usize = rows.iter().map(|r| r.n05).sum();
    let ng: usize = rows.iter().map(|r| r.ngt).sum();
    let mp = if np > 0 { tp as f64 / np as f64 } else { 0.0 };
    let mr = if ng > 0 { tp as f64 / ng as f64 } else { 0.0 };
    let mf = if mp + mr > 0.0 {
        2.0 * mp * mr / (mp + mr)
    } else {
        0.0
    };
    println!(
        "{label:<18} {:>3} cases | all P={:.3} R={:.3} F1={:.3} | conf>=0.5 P={:.3} R={:.3} F1={:.3} | micro F1={:.3} | recall@GT={:.3}",
        rows.len(),
        avg(|r| r.p),
        avg(|r| r.r),
        avg(|r| r.f1),
        avg(|r| r.p05),
        avg(|r| r.r05),
        avg(|r| r.f105),
        mf,
        avg(|r| r.rgt)
    );
}

fn bench_dir(args: &[String]) -> PathBuf {
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .or_else(|| std::env::var("PATCHBAY_BENCH_DIR").ok())
        .unwrap_or_else(|| "../shared/bench".to_string());
    let dir = PathBuf::from(dir);
    if dir.join("mapping").is_dir() {
        dir.join("mapping")
    } else {
        dir
    }
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn load(path: &Path) -> Result<Vec<Case>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

fn synthetic(n: usize, seed: u64, words: &[&str]) -> Schema {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let fields = (0..n)
        .map(|i| {
            let a = words[(next() % words.len() as u64) as usize];
            let b = words[(next() % words.len() as u64) as usize];
            let samples = (0..20)
                .map(|k| json!(format!("{a}-{}", (next() % 1000) + k)))
                .collect();
            Field {
                path: format!(
                    "group{}.{a}{}{b}_{i}",
                    i % 7,
                    if i % 2 == 0 { "_" } else { "" }
                ),
                field_type: "string".into(),
                samples,
            }
        })
        .collect();
    Schema {
        name: format!("synthetic{seed}"),
        fields,
    }
}

/// Times `suggest` on two synthetic 500-field schemas with 20 samples per field; prints the
/// fastest and the median of `runs` runs.
fn speed(options: &SuggestOptions, feedback: &Feedback, runs: usize) {
    let words = [
        "customer", "amount", "date", "email", "phone", "city", "zip", "name", "status", "total",
        "tax", "line", "qty", "created", "owner",
    ];
    let (a, b) = (synthetic(500, 7, &words), synthetic(500, 11, &words));
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = suggest(&a, &b, options, feedback);
        times.push(start.elapsed().as_secs_f64() * 1e3);
        n = out.len();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "speed: 500 x 500 fields with 20 samples each: {:.1} ms (fastest of {}; median {:.1} ms; {n} suggestions)",
        times[0],
        times.len(),
        times[times.len() / 2]
    );
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let dir = bench_dir(&args);
    let show_cases = args.iter().any(|a| a == "--cases");
    let method = match flag_value(&args, "--method").as_deref() {
        Some("hungarian") => Method::Hungarian,
        _ => Method::Greedy,
    };
    let options = SuggestOptions {
        method,
        ..SuggestOptions::default()
    };
    let feedback = Feedback::default();
    if args.iter().any(|a| a == "--speed") {
        speed(&options, &feedback, 15);
        return Ok(());
    }
    let mut predictions = serde_json::Map::new();
    let mut all_rows = Vec::new();
    let mut total_time = 0.0;
    let mut total_cases = 0usize;
    println!(
        "mapping suggestions benchmark on {} ({method:?})",
        dir.display()
    );
    for file in FILES {
        let cases = load(&dir.join(file))?;
        let mut rows = Vec::new();
        for case in &cases {
            let start = Instant::now();
            let out = suggest(&case.source, &case.target, &options, &feedback);
            total_time += start.elapsed().as_secs_f64();
            total_cases += 1;
            if flag_value(&args, "--show").is_some_and(|id| id == case.id) {
                for sug in out.iter().filter(|s| s.confidence >= 0.5) {
                    let t = sug
                        .transform
                        .as_ref()
                        .map(|t| serde_json::to_string(t).unwrap_or_default())
                        .unwrap_or_default();
                    println!(
                        "  {:.2} {} -> {} | {} {t}",
                        sug.confidence, sug.source, sug.target, sug.reason
                    );
                }
            }
            let preds: Vec<(String, String, f64)> = out
                .iter()
                .map(|s| (s.source.clone(), s.target.clone(), s.confidence))
                .collect();
            let s = score_case(&case.truth, &preds);
            if show_cases {
                println!(
                    "{:<58} {:>4} {:>5} {:>5.2} {:>5.2} {:>5.2} | {:>5.2} {:>5.2} {:>6.2} | {:>5.2}",
                    case.id.chars().take(58).collect::<String>(),
                    s.ngt,
                    s.npred,
                    s.p,
                    s.r,
                    s.f1,
                    s.p05,
                    s.r05,
                    s.f105,
                    s.rgt
                );
            }
            rows.push(s);
            predictions.insert(
                case.id.clone(),
                Value::Array(
                    preds
                        .into_iter()
                        .map(|(s, t, c)| json!([s, t, c]))
                        .collect(),
                ),
            );
        }
        summary(file, &rows);
        all_rows.extend(rows);
    }
    summary("overall", &all_rows);
    let n = all_rows.len().max(1) as f64;
    println!(
        "overall F1={:.3} recall@GT={:.3}",
        all_rows.iter().map(|r| r.f105).sum::<f64>() / n,
        all_rows.iter().map(|r| r.rgt).sum::<f64>() / n
    );
    println!(
        "speed: {total_cases} cases in {:.1} ms: {:.0} cases/s, {:.2} ms per case",
        total_time * 1e3,
        total_cases as f64 / total_time.max(1e-9),
        total_time * 1e3 / total_cases.max(1) as f64
    );

    if !args.iter().any(|a| a == "--no-speed") {
        speed(&options, &feedback, 5);
    }

    if let Some(path) = flag_value(&args, "--out") {
        let text = serde_json::to_string(&Value::Object(predictions)).map_err(|e| e.to_string())?;
        fs::write(&path, text).map_err(|e| format!("{path}: {e}"))?;
        println!("predictions written to {path}");
    }
    Ok(())
}
