//! Offline use of the pure cores on files, for scripts and benchmarks: no server, no database.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use serde_json::json;

use crate::{
    insights::{
        explain::{Failure, explain},
        patterns::Miner,
    },
    mapping::{
        schema_input,
        suggest::{Feedback, SuggestOptions, suggest},
    },
};

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Machine-readable JSON.
    Json,
    /// Aligned columns for people.
    Table,
}

/// `patchbay mapping …`
#[derive(Subcommand)]
pub enum MappingAction {
    /// Suggest field mappings from a source schema to a target schema. Each file may be a
    /// field list, a JSON Schema, sample JSON records, or CSV with a header row.
    Suggest {
        /// The source schema file (`-` for standard input).
        #[arg(long)]
        source: PathBuf,
        /// The target schema file.
        #[arg(long)]
        target: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Sample values read per field.
        #[arg(long, default_value_t = 20)]
        samples: usize,
    },
}

/// `patchbay insights …`
#[derive(Subcommand)]
pub enum InsightsAction {
    /// Mine failure patterns from a log file, one message per line.
    Mine {
        /// The log file (`-` for standard input).
        #[arg(long)]
        input: PathBuf,
        /// Also write, for each input line in order, the template it was assigned to.
        #[arg(long)]
        assignments: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

/// `patchbay connectors …`
#[derive(Subcommand)]
pub enum ConnectorsAction {
    /// Print the JSON Schema of connector definitions.
    Schema,
    /// Check connector definition files (JSON or YAML): every problem with its path.
    Check {
        /// Definition files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the built-in connectors.
    List,
}

/// Runs `patchbay connectors …`.
pub fn connectors(action: ConnectorsAction) -> anyhow::Result<()> {
    use crate::connectors::{catalog, definition, registry};
    let mut out = std::io::stdout().lock();
    match action {
        ConnectorsAction::Schema => {
            serde_json::to_writer_pretty(&mut out, &definition::json_schema())?;
            writeln!(out)?;
        }
        ConnectorsAction::List => {
            for d in catalog::built_ins() {
                let streams: Vec<&str> = d.streams.iter().map(|s| s.name.as_str()).collect();
                writeln!(
                    out,
                    "{:<16} {:<24} {}",
                    d.name,
                    d.display_name,
                    streams.join(", ")
                )?;
            }
        }
        ConnectorsAction::Check { files } => {
            let mut failed = 0;
            for path in &files {
                let text = read_input(path)?;
                match registry::parse(serde_json::Value::String(text)) {
                    Ok(d) => writeln!(
                        out,
                        "{}: ok ({}: {} streams, {} actions)",
                        path.display(),
                        d.name,
                        d.streams.len(),
                        d.actions.len()
                    )?,
                    Err(crate::Error::InvalidDefinition(errors)) => {
                        failed += 1;
                        for error in errors {
                            writeln!(out, "{}: {error}", path.display())?;
                        }
                    }
                    Err(other) => bail!("{}: {}", path.display(), other.public_message()),
                }
            }
            if failed > 0 {
                bail!("{failed} of {} definitions are invalid", files.len());
            }
        }
    }
    Ok(())
}

/// Runs `patchbay mapping suggest`.
pub fn mapping(action: MappingAction) -> anyhow::Result<()> {
    let MappingAction::Suggest {
        source,
        target,
        format,
        samples,
    } = action;
    let read_schema = |path: &Path| -> anyhow::Result<_> {
        let text = read_input(path)?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("schema");
        let (schema, _) = schema_input::parse(name, &text, samples)
            .with_context(|| format!("cannot read a schema from {}", path.display()))?;
        Ok(schema)
    };
    let (source, target) = (read_schema(&source)?, read_schema(&target)?);
    let options = SuggestOptions {
        max_samples: samples,
        ..SuggestOptions::default()
    };
    let mut suggestions = suggest(&source, &target, &options, &Feedback::default());
    suggestions.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            serde_json::to_writer(&mut out, &json!({ "suggestions": suggestions }))?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            writeln!(
                out,
                "{:>5}  {:<32}  {:<32}  {:<18}  REASON",
                "CONF", "SOURCE", "TARGET", "TRANSFORM"
            )?;
            for s in &suggestions {
                let transform = s
                    .transform
                    .as_ref()
                    .and_then(|t| serde_json::to_value(t).ok())
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:>5.2}  {:<32}  {:<32}  {:<18}  {}",
                    s.confidence, s.source, s.target, transform, s.reason
                )?;
            }
        }
    }
    Ok(())
}

/// Runs `patchbay insights mine`.
pub fn insights(action: InsightsAction) -> anyhow::Result<()> {
    let InsightsAction::Mine {
        input,
        assignments,
        format,
    } = action;
    let reader: Box<dyn Read> = if input.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(&input)
                .with_context(|| format!("cannot open {}", input.display()))?,
        )
    };
    let mut miner = Miner::default();
    let mut assigned: Vec<u64> = Vec::new();
    let mut examples: HashMap<u64, Vec<String>> = HashMap::new();
    let mut parameters: HashMap<u64, Vec<String>> = HashMap::new();
    for line in BufReader::new(reader).lines() {
        let line = line.context("the input is not UTF-8 text")?;
        let found = miner.add(&line);
        assigned.push(found.pattern_id);
        let seen = examples.entry(found.pattern_id).or_default();
        if seen.len() < 3 {
            seen.push(line);
        }
        parameters
            .entry(found.pattern_id)
            .or_insert(found.parameters);
    }
    if assigned.is_empty() {
        bail!("{} holds no lines", input.display());
    }
    if let Some(path) = assignments {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        for id in &assigned {
            writeln!(file, "{}", miner.template(*id).unwrap_or_default())?;
        }
        file.flush()?;
    }
    // Examples and parameters were filed under the id each line got; merges fold them together.
    let mut folded_examples: HashMap<u64, Vec<String>> = HashMap::new();
    for (id, lines) in examples {
        let entry = folded_examples.entry(miner.resolve(id)).or_default();
        entry.extend(lines);
        entry.truncate(3);
    }
    let total = assigned.len() as f64;
    let mut patterns = miner.patterns();
    patterns.sort_by_key(|p| std::cmp::Reverse(p.count));
    let rows: Vec<serde_json::Value> = patterns
        .iter()
        .map(|pattern| {
            let params = parameters.get(&pattern.id).cloned().unwrap_or_default();
            let explanation = explain(&Failure {
                template: &pattern.template,
                http_status: None,
                provider_code: None,
                parameters: &params,
            });
            json!({
                "template": pattern.template,
                "count": pattern.count,
                "share": pattern.count as f64 / total,
                "examples": folded_examples.get(&pattern.id).cloned().unwrap_or_default(),
                "likely_cause": explanation.as_ref().map(|e| e.likely_cause.clone()),
                "what_to_change": explanation.as_ref().map(|e| e.what_to_change.clone()),
            })
        })
        .collect();
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            serde_json::to_writer(
                &mut out,
                &json!({ "lines": assigned.len(), "patterns": rows }),
            )?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            writeln!(out, "{} lines, {} patterns", assigned.len(), rows.len())?;
            writeln!(out, "{:>7}  {:>6}  TEMPLATE", "COUNT", "SHARE")?;
            for row in &rows {
                writeln!(
                    out,
                    "{:>7}  {:>5.1}%  {}",
                    row["count"].as_u64().unwrap_or_default(),
                    row["share"].as_f64().unwrap_or_default() * 100.0,
                    row["template"].as_str().unwrap_or_default()
                )?;
                if let Some(cause) = row["likely_cause"].as_str() {
                    writeln!(out, "{:>16}cause: {cause}", "")?;
                    writeln!(
                        out,
                        "{:>16}fix:   {}",
                        "",
                        row["what_to_change"].as_str().unwrap_or_default()
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
