//! Benchmark of the pattern miner on the log data sets with ground truth.
//!
//! Usage: `cargo bench --bench pattern_mining -- [BENCH_DIR] [--out DIR]`. BENCH_DIR (or env
//! `PATCHBAY_BENCH_DIR`, default `../shared/bench`) holds `logs/loghub2k` and `logs/sync`, each
//! with `X.lines.txt` and `X.truth.txt`. Prints GA, FGA, PA (canon mode) and FTA exactly as
//! `logs/score.py` computes them, per data set and averaged, and the throughput. With `--out DIR`
//! (or env `PATCHBAY_BENCH_OUT`) writes `DIR/X.pred.txt` for cross-checking with score.py.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use patchbay::insights::patterns::{Config, Miner};
use regex::Regex;

struct Scores {
    lines: usize,
    true_groups: usize,
    pred_groups: usize,
    ga: f64,
    fga: f64,
    pa: f64,
    fta: f64,
}

/// Whitespace and placeholder normalisation of score.py's `--pa-mode canon`.
struct Canon {
    ws: Regex,
    ph: Regex,
}

impl Canon {
    fn new() -> Result<Canon, regex::Error> {
        Ok(Canon {
            ws: Regex::new(r"\s+")?,
            ph: Regex::new(r"<[A-Za-z_*][A-Za-z0-9_*:]*>|\{[A-Za-z_][A-Za-z0-9_]*\}")?,
        })
    }

    fn norm(&self, s: &str) -> String {
        let s = self.ws.replace_all(s.trim(), " ");
        let mut s = self.ph.replace_all(&s, "<*>").into_owned();
        while s.contains("<*><*>") {
            s = s.replace("<*><*>", "<*>");
        }
        s
    }
}

/// score.py's `score`, line for line.
fn score(canon: &Canon, truth: &[String], pred: &[String]) -> Scores {
    let keep: Vec<usize> = (0..truth.len())
        .filter(|&i| !truth[i].trim().is_empty())
        .collect();
    let t: Vec<String> = keep.iter().map(|&i| canon.norm(&truth[i])).collect();
    let p: Vec<String> = keep.iter().map(|&i| canon.norm(&pred[i])).collect();
    let n = t.len();
    let mut pred_size: HashMap<&str, usize> = HashMap::new();
    for b in &p {
        *pred_size.entry(b).or_default() += 1;
    }
    let mut by_truth: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for (a, b) in t.iter().zip(&p) {
        *by_truth.entry(a).or_default().entry(b).or_default() += 1;
    }
    let (mut correct_lines, mut correct_groups) = (0usize, 0usize);
    for c in by_truth.values() {
        if c.len() == 1
            && let Some((b, k)) = c.iter().next()
            && pred_size.get(b) == Some(k)
        {
            correct_lines += k;
            correct_groups += 1;
        }
    }
    let ga = correct_lines as f64 / n as f64;
    let pga = correct_groups as f64 / pred_size.len() as f64;
    let rga = correct_groups as f64 / by_truth.len() as f64;
    let fga = if pga + rga > 0.0 {
        2.0 * pga * rga / (pga + rga)
    } else {
        0.0
    };
    let pa = t.iter().zip(&p).filter(|(a, b)| a == b).count() as f64 / n as f64;
    let mut by_pred: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (a, b) in t.iter().zip(&p) {
        by_pred.entry(b).or_default().insert(a);
    }
    let ok = by_pred
        .iter()
        .filter(|(b, s)| s.len() == 1 && s.contains(*b))
        .count();
    let pta = ok as f64 / by_pred.len() as f64;
    let rta = ok as f64 / by_truth.len() as f64;
    let fta = if pta + rta > 0.0 {
        2.0 * pta * rta / (pta + rta)
    } else {
        0.0
    };
    Scores {
        lines: n,
        true_groups: by_truth.len(),
        pred_groups: pred_size.len(),
        ga,
        fga,
        pa,
        fta,
    }
}

/// Lines as Python's file iteration gives them, without the newline.
fn read_lines(path: &Path) -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.split_terminator('\n').map(str::to_owned).collect())
}

/// Data sets `(name, lines path, truth path)` of one folder, sorted by name.
fn datasets(dir: &Path) -> Vec<(String, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".truth.txt") {
            let lines = dir.join(format!("{stem}.lines.txt"));
            if lines.exists() {
                out.push((stem.to_owned(), lines, e.path()));
            }
        }
    }
    out.sort();
    out
}

fn row(name: &str, s: &Scores, speed: Option<f64>) {
    let speed = speed.map_or(String::new(), |v| format!(" {:>10.0} |", v));
    println!(
        "| {name:<16} | {:>6} | {:>5} | {:>5} | {:.3} | {:.3} | {:.3} | {:.3} |{speed}",
        s.lines, s.true_groups, s.pred_groups, s.ga, s.fga, s.pa, s.fta
    );
}

fn average(all: &[Scores]) -> Scores {
    let k = all.len().max(1) as f64;
    Scores {
        lines: all.iter().map(|s| s.lines).sum(),
        true_groups: all.iter().map(|s| s.true_groups).sum(),
        pred_groups: all.iter().map(|s| s.pred_groups).sum(),
        ga: all.iter().map(|s| s.ga).sum::<f64>() / k,
        fga: all.iter().map(|s| s.fga).sum::<f64>() / k,
        pa: all.iter().map(|s| s.pa).sum::<f64>() / k,
        fta: all.iter().map(|s| s.fta).sum::<f64>() / k,
    }
}

/// Runs per data set for the throughput figure (the fastest is kept).
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = std::env::var("PATCHBAY_BENCH_DIR").ok();
    let mut out = std::env::var("PATCHBAY_BENCH_OUT").ok();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next(),
            s if s.starts_with("--") => {}
            s => dir = Some(s.to_owned()),
        }
    }
    let root = PathBuf::from(dir.unwrap_or_else(|| "../shared/bench".to_owned()));
    let logs = if root.join("logs").is_dir() {
        root.join("logs")
    } else {
        root
    };
    let canon = Canon::new()?;
    let config = Config::default();
    println!("config: {}", serde_json::to_string(&config)?);
    let mut grand_lines = 0usize;
    let mut grand_secs = 0.0f64;
    for folder in ["loghub2k", "sync"] {
        let sets = datasets(&logs.join(folder));
        if sets.is_empty() {
            println!("no data sets in {}", logs.join(folder).display());
            continue;
        }
        println!("\n{folder}");
        println!(
            "| dataset          |  lines | truth |  pred |  GA   |  FGA  |  PA   |  FTA  |  lines/s   |"
        );
        println!(
            "|------------------|--------|-------|-------|-------|-------|-------|-------|------------|"
        );
        let mut all = Vec::new();
        for (name, lines_path, truth_path) in sets {
            let lines = read_lines(&lines_path)?;
            let truth = read_lines(&truth_path)?;
            // The machine may be shared: mine the set a few times from scratch and keep the
            // fastest run (every run gives the same result).
            let mut secs = f64::INFINITY;
            let mut mined = None;
            for _ in 0..RUNS {
                let mut miner = Miner::new(config.clone());
                let started = Instant::now();
                let ids: Vec<u64> = lines.iter().map(|l| miner.add(l).pattern_id).collect();
                secs = secs.min(started.elapsed().as_secs_f64());
                mined = Some((miner, ids));
            }
            let Some((miner, ids)) = mined else {
                continue;
            };
            // Each line is scored with the final template of its pattern, as Drain3 is.
            let templates: HashMap<u64, String> = miner
                .patterns()
                .into_iter()
                .map(|p| (p.id, p.template))
                .collect();
            let pred: Vec<String> = ids
                .iter()
                .map(|id| {
                    templates
                        .get(&miner.resolve(*id))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            if let Some(out) = &out {
                std::fs::create_dir_all(out)?;
                std::fs::write(
                    Path::new(out).join(format!("{name}.pred.txt")),
                    pred.join("\n") + "\n",
                )?;
            }
            let s = score(&canon, &truth, &pred);
            row(&name, &s, Some(lines.len() as f64 / secs));
            grand_lines += lines.len();
            grand_secs += secs;
            all.push(s);
        }
        if all.len() > 1 {
            row("AVERAGE", &average(&all), None);
        }
    }
    // Throughput on a longer stream: every line of every set, ten times over, one miner.
    let mut stream = Vec::new();
    for folder in ["loghub2k", "sync"] {
        for (_, lines_path, _) in datasets(&logs.join(folder)) {
            stream.extend(read_lines(&lines_path)?);
        }
    }
    let mut miner = Miner::new(config);
    let mut secs = 0.0;
    let mut fastest_pass = f64::INFINITY;
    for _ in 0..10 {
        let started = Instant::now();
        for l in &stream {
            miner.add(l);
        }
        let pass = started.elapsed().as_secs_f64();
        secs += pass;
        fastest_pass = fastest_pass.min(pass);
    }
    let state = serde_json::to_string(&miner)?;
    println!(
        "\nthroughput: {:.0} lines/s over the data sets ({grand_lines} lines); {:.0} lines/s over {} lines mixed; \
         fastest pass {:.0} lines/s; state: {} patterns, {} bytes serialised",
        grand_lines as f64 / grand_secs,
        (stream.len() * 10) as f64 / secs,
        stream.len() * 10,
        stream.len() as f64 / fastest_pass,
        miner.len(),
        state.len()
    );
    Ok(())
}
