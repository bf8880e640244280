//! Benchmark of the pattern miner on the log data sets with ground truth.
//!
//! Usage: `cargo bench --bench pattern_mining -- [BENCH_DIR] [--out DIR] [--secs S]`. BENCH_DIR
//! (or env `PATCHBAY_BENCH_DIR`, default `../shared/bench`) holds `logs/loghub2k` and
//! `logs/sync`, each with `X.lines.txt` and `X.truth.txt`. Prints GA, FGA, PA (canon mode) and
//! FTA exactly as `logs/score.py` computes them, per data set and averaged, and the throughput.
//! With `--out DIR` (or env `PATCHBAY_BENCH_OUT`) writes `DIR/X.pred.txt` for cross-checking
//! with score.py.
//!
//! Throughput is measured on one thread. A data set of 2,000 lines is mined in a few
//! milliseconds, so one pass says little on a shared machine: each set is mined again and again
//! from scratch (a fresh miner per pass) for at least `--secs` seconds (default 1) and at least
//! 20 passes, and the median and best pass are reported, in lines/s and MB/s of message text.

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

/// The throughput target of the miner, on one core, on the largest data set.
const TARGET_LINES_PER_SEC: f64 = 500_000.0;

/// Fewest timed passes per data set, whatever their total time.
const MIN_PASSES: usize = 20;

/// Throughput of one data set over many timed passes.
struct Speed {
    name: String,
    lines: usize,
    /// Bytes of message text (each line without its newline).
    bytes: usize,
    /// Seconds of each pass, sorted.
    passes: Vec<f64>,
    /// Seconds the thread was on a CPU during each pass, sorted, where the system tells it.
    on_cpu: Option<Vec<f64>>,
}

impl Speed {
    /// Mines `lines` from scratch with a fresh miner per pass, until at least `min_secs` of
    /// mining and [`MIN_PASSES`] passes.
    fn measure(name: &str, lines: &[String], config: &Config, min_secs: f64) -> Speed {
        let mut passes = Vec::new();
        let mut on_cpu = Some(Vec::new());
        let mut total = 0.0;
        while passes.len() < MIN_PASSES || total < min_secs {
            let mut miner = Miner::new(config.clone());
            let cpu_before = thread_cpu_secs();
            let started = Instant::now();
            for l in lines {
                std::hint::black_box(miner.add(std::hint::black_box(l)));
            }
            let secs = started.elapsed().as_secs_f64();
            let cpu_after = thread_cpu_secs();
            // The miner is dropped outside the timed part, as its creation is.
            drop(std::hint::black_box(miner));
            passes.push(secs);
            total += secs;
            match (&mut on_cpu, cpu_before, cpu_after) {
                (Some(v), Some(a), Some(b)) => v.push(b - a),
                _ => on_cpu = None,
            }
        }
        passes.sort_by(f64::total_cmp);
        if let Some(v) = &mut on_cpu {
            v.sort_by(f64::total_cmp);
        }
        Speed {
            name: name.to_owned(),
            lines: lines.len(),
            bytes: lines.iter().map(String::len).sum(),
            passes,
            on_cpu,
        }
    }

    /// The median pass in seconds.
    fn median_secs(&self) -> f64 {
        median(&self.passes)
    }

    /// Lines per second the thread was on a CPU, over the median pass by that measure.
    fn median_on_cpu(&self) -> Option<f64> {
        self.on_cpu
            .as_deref()
            .map(|v| self.lines as f64 / median(v))
    }

    fn median(&self) -> f64 {
        self.lines as f64 / self.median_secs()
    }

    fn best(&self) -> f64 {
        self.lines as f64 / self.passes[0]
    }

    fn median_mb(&self) -> f64 {
        self.bytes as f64 / self.median_secs() / 1e6
    }

    fn row(&self) {
        let cpu = self
            .median_on_cpu()
            .map_or("-".to_owned(), |v| format!("{v:.0}"));
        println!(
            "| {:<16} | {:>6} | {:>7} | {:>6} | {:>10.0} | {:>10.0} | {:>6.1} | {:>6.1} | {:>10} |",
            self.name,
            self.lines,
            self.bytes,
            self.passes.len(),
            self.median(),
            self.best(),
            self.median_mb(),
            self.bytes as f64 / self.passes[0] / 1e6,
            cpu,
        );
    }
}

/// The median of sorted `v` (the mean of the two middle values for an even count).
fn median(v: &[f64]) -> f64 {
    let n = v.len();
    (v[(n - 1) / 2] + v[n / 2]) / 2.0
}

/// Seconds this thread has spent on a CPU (`CLOCK_THREAD_CPUTIME_ID`), to tell mining time
/// from time the machine gave to other work.
fn thread_cpu_secs() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
}

/// The 1-, 5- and 15-minute load averages, where the system tells them.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A set's median figures against [`TARGET_LINES_PER_SEC`].
fn against_target(s: &Speed) -> String {
    let verdict = |v: f64| {
        if v >= TARGET_LINES_PER_SEC {
            "met"
        } else {
            "NOT met"
        }
    };
    let mut out = format!(
        "median {:.0} lines/s ({} by wall-clock time)",
        s.median(),
        verdict(s.median())
    );
    if let Some(cpu) = s.median_on_cpu() {
        out.push_str(&format!(", on-CPU {cpu:.0} lines/s ({})", verdict(cpu)));
    }
    out.push_str(&format!("; target {TARGET_LINES_PER_SEC:.0}"));
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut dir = std::env::var("PATCHBAY_BENCH_DIR").ok();
    let mut out = std::env::var("PATCHBAY_BENCH_OUT").ok();
    let mut min_secs = 1.0f64;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next(),
            "--secs" => {
                min_secs = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--secs needs a number of seconds")?;
            }
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
    println!("load average at start: {}", load());
    let mut speeds: Vec<Speed> = Vec::new();
    for folder in ["loghub2k", "sync"] {
        let sets = datasets(&logs.join(folder));
        if sets.is_empty() {
            println!("no data sets in {}", logs.join(folder).display());
            continue;
        }
        println!("\n{folder}");
        println!(
            "| dataset          |  lines | truth |  pred |  GA   |  FGA  |  PA   |  FTA  | med lines/s|"
        );
        println!(
            "|------------------|--------|-------|-------|-------|-------|-------|-------|------------|"
        );
        let mut all = Vec::new();
        for (name, lines_path, truth_path) in sets {
            let lines = read_lines(&lines_path)?;
            let truth = read_lines(&truth_path)?;
            // Every pass gives the same result: score an untimed one.
            let mut miner = Miner::new(config.clone());
            let ids: Vec<u64> = lines.iter().map(|l| miner.add(l).pattern_id).collect();
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
            let speed = Speed::measure(&name, &lines, &config, min_secs);
            row(&name, &s, Some(speed.median()));
            speeds.push(speed);
            all.push(s);
        }
        if all.len() > 1 {
            row("AVERAGE", &average(&all), None);
        }
    }

    println!(
        "\nthroughput, one thread, a fresh miner per pass, >= {min_secs} s and >= {MIN_PASSES} passes per set; \
         lines/s and MB/s by wall-clock time; on-CPU med: lines/s over the time the thread was on a CPU \
         (median pass), which time spent waiting for a CPU on a loaded machine does not count in"
    );
    println!(
        "| dataset          |  lines |   bytes | passes | med lines/s|best lines/s| med MB/s|best MB/s| on-CPU med |"
    );
    println!(
        "|------------------|--------|---------|--------|------------|------------|--------|--------|------------|"
    );
    for s in &speeds {
        s.row();
    }
    if !speeds.is_empty() {
        let total_lines: usize = speeds.iter().map(|s| s.lines).sum();
        let total_secs: f64 = speeds.iter().map(Speed::median_secs).sum();
        println!(
            "all sets: {:.0} lines/s (median passes, {total_lines} lines)",
            total_lines as f64 / total_secs
        );
        // Largest by lines (ties broken by bytes) and by bytes.
        let by_lines = speeds
            .iter()
            .max_by_key(|s| (s.lines, s.bytes))
            .ok_or("no sets")?;
        let tied = speeds.iter().filter(|s| s.lines == by_lines.lines).count();
        let by_bytes = speeds.iter().max_by_key(|s| s.bytes).ok_or("no sets")?;
        let slowest = speeds
            .iter()
            .min_by(|a, b| a.median().total_cmp(&b.median()))
            .ok_or("no sets")?;
        let tie = if tied > 1 {
            format!(", {tied} sets tied; the one with most bytes")
        } else {
            String::new()
        };
        println!(
            "largest set by lines: {} ({} lines{tie}): {}",
            by_lines.name,
            by_lines.lines,
            against_target(by_lines)
        );
        println!(
            "largest set by bytes: {} ({} bytes, {} lines): {}",
            by_bytes.name,
            by_bytes.bytes,
            by_bytes.lines,
            against_target(by_bytes)
        );
        println!(
            "slowest set by wall-clock time: {}: {}",
            slowest.name,
            against_target(slowest)
        );
    }

    // Throughput on a longer stream: every line of every set, over and over, one miner (after
    // the first pass, every line meets the patterns it made).
    let mut stream = Vec::new();
    for folder in ["loghub2k", "sync"] {
        for (_, lines_path, _) in datasets(&logs.join(folder)) {
            stream.extend(read_lines(&lines_path)?);
        }
    }
    let mut miner = Miner::new(config);
    let mut passes = Vec::new();
    let mut total = 0.0;
    while passes.len() < 10 || total < min_secs {
        let started = Instant::now();
        for l in &stream {
            std::hint::black_box(miner.add(std::hint::black_box(l)));
        }
        let pass = started.elapsed().as_secs_f64();
        passes.push(pass);
        total += pass;
    }
    let first = passes[0];
    let mut sorted = passes.clone();
    sorted.sort_by(f64::total_cmp);
    let median = median(&sorted);
    let state = serde_json::to_string(&miner)?;
    println!(
        "mixed stream of {} lines, one miner, {} passes: first pass {:.0} lines/s, median pass {:.0} lines/s, \
         overall {:.0} lines/s; state: {} patterns, {} bytes serialised",
        stream.len(),
        passes.len(),
        stream.len() as f64 / first,
        stream.len() as f64 / median,
        (stream.len() * passes.len()) as f64 / total,
        miner.len(),
        state.len()
    );
    println!("load average at end: {}", load());
    Ok(())
}
