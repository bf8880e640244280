//! Field-mapping suggestions: which source field feeds which target field, how sure we are, why,
//! and which transform the values need. Pure functions over plain data: no I/O.
//!
//! The pipeline: names become weighted terms (`tokenize`, `normalise`, `dictionary`), every
//! source × target pair is scored from names (`similarity`), declared types (`types`) and sample
//! values (`values`), adjusted by past feedback (`learn`), paired one-to-one (`assignment`), and
//! explained with a transform hint (`transform_hint`).

pub mod assignment;
pub mod dictionary;
pub mod learn;
pub mod normalise;
pub mod similarity;
pub mod tokenize;
pub mod transform_hint;
pub mod types;
pub mod values;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use assignment::Method;
pub use learn::{Feedback, FeedbackEntry};
pub use transform_hint::TransformHint;

use assignment::Matrix;
use dictionary::Dictionary;
use similarity::{NameRepr, TermCache, Vocabulary};
use transform_hint::{NameRole, Side};
use types::Kind;
use values::{Profile, ValueEvidence};

/// One field of a schema, in Patchbay's field-list format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Dotted path, arrays written `name[]` (`lines[].amount`).
    pub path: String,
    /// Declared type (`string`, `integer`, `number`, `boolean`, `date`, `enum`, `array<string>`…).
    #[serde(rename = "type", default)]
    pub field_type: String,
    /// Sample values, if any.
    #[serde(default)]
    pub samples: Vec<Value>,
}

/// A schema: a named list of fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Schema {
    /// The object's name (`quickbooks.Customer`).
    #[serde(default)]
    pub name: String,
    /// Its fields.
    pub fields: Vec<Field>,
}

/// One proposed correspondence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Source field path.
    pub source: String,
    /// Target field path.
    pub target: String,
    /// How sure the suggester is, 0..1; below 0.5 it is a hint, not a mapping.
    pub confidence: f64,
    /// The evidence in plain words.
    pub reason: String,
    /// The transform the values need, if any.
    pub transform: Option<TransformHint>,
}

/// Knobs of the suggester; the defaults suit interactive use and the benchmark alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuggestOptions {
    /// Pairs scoring below this are never assigned (a target stays unmapped rather than guessed).
    pub min_score: f64,
    /// Other candidates reported per target besides its assigned source, always with a
    /// confidence below 0.5 so they read as hints.
    pub alternatives: usize,
    /// Samples read per field.
    pub max_samples: usize,
    /// Fields read per schema; the rest are ignored, so the work stays bounded.
    pub max_fields: usize,
    /// Assignment method.
    pub method: Method,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            min_score: 0.3,
            alternatives: 2,
            max_samples: 20,
            max_fields: 5000,
            method: Method::Greedy,
        }
    }
}

/// Highest confidence given to an alternative candidate: it must never read as a mapping.
const ALTERNATIVE_CAP: f64 = 0.45;

/// Confidence of a full name offered to a first- or last-name target: where the name breaks
/// is a guess, so it reads as a hint to review rather than a mapping.
const SPLIT_NAME_CONFIDENCE: f64 = 0.45;

/// Lowest score for a source's second target.
const SECOND_TARGET_MIN: f64 = 0.6;

/// Share of the score kept by a pair of fields named without any dictionary word.
const PRIOR_BASE: f64 = 0.85;
/// Share of the score lost per level of nesting of the source field below its schema's
/// shallowest fields (capped at three levels).
const SOURCE_DEPTH_PENALTY: f64 = 0.1;
/// The same for the target field: a nested target field is more often filled by copying its
/// whole parent object than field by field. Only levels the source could fill with an object of
/// its own count: at most one more than the source's own depth, since a target nested far below
/// its source (`first_name` → `Worker_Data.….First_Name`) can only be filled field by field.
const TARGET_DEPTH_PENALTY: f64 = 0.2;

/// Where a field sits in its schema's structure.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Levels of nesting below the schema's shallowest fields.
    rel_depth: usize,
}

impl Shape {
    /// How likely a pair of fields with these places is to be mapped at all, 0..1: mappings
    /// are written for top-level fields far more often than for deeply nested ones. Depth
    /// counts from the schema's shallowest fields, so `table.column` schemas lose nothing.
    fn prior(&self, t: &Shape) -> f64 {
        let target_levels = t.rel_depth.min(self.rel_depth + 1).min(3);
        (1.0 - SOURCE_DEPTH_PENALTY * self.rel_depth.min(3) as f64)
            * (1.0 - TARGET_DEPTH_PENALTY * target_levels as f64)
    }
}

/// The place of each field in its schema (`paths` in the order of `fields`).
fn structure(fields: &[Prepared]) -> Vec<Shape> {
    let min_depth = fields.iter().map(|f| f.name.depth).min().unwrap_or(0);
    fields
        .iter()
        .map(|f| Shape {
            rel_depth: f.name.depth - min_depth,
        })
        .collect()
}

/// Everything known about one field while scoring.
struct Prepared {
    name: NameRepr,
    kind: Kind,
    profile: Profile,
    leaf_words: Vec<String>,
    role: Option<NameRole>,
}

/// Suggests source → target field correspondences, best first.
///
/// Each target gets at most one assigned source (one-to-one, above `options.min_score`); full
/// names may also feed first/last-name targets (1 → n). Up to `options.alternatives` other
/// candidates per target follow with confidences below 0.5. Feedback boosts accepted pairs and
/// drops rejected ones.
pub fn suggest(
    source: &Schema,
    target: &Schema,
    options: &SuggestOptions,
    feedback: &Feedback,
) -> Vec<Suggestion> {
    let dict = dictionary::builtin();
    let src_fields: Vec<&Field> = source.fields.iter().take(options.max_fields).collect();
    let tgt_fields: Vec<&Field> = target.fields.iter().take(options.max_fields).collect();
    if src_fields.is_empty() || tgt_fields.is_empty() {
        return Vec::new();
    }
    let learned = learn::digest(feedback, dict);

    let src_paths: Vec<&str> = src_fields.iter().map(|f| f.path.as_str()).collect();
    let tgt_paths: Vec<&str> = tgt_fields.iter().map(|f| f.path.as_str()).collect();
    let compounds = similarity::compound_vocab(dict, src_paths.iter().chain(&tgt_paths).copied());
    let mut vocab = Vocabulary::default();
    let src = prepare(
        &src_fields,
        &src_paths,
        &similarity::entity_stems(&source.name),
        dict,
        &compounds,
        &mut vocab,
        options,
    );
    let tgt = prepare(
        &tgt_fields,
        &tgt_paths,
        &similarity::entity_stems(&target.name),
        dict,
        &compounds,
        &mut vocab,
        options,
    );
    let src_names: Vec<NameRepr> = src.iter().map(|p| p.name.clone()).collect();
    let tgt_names: Vec<NameRepr> = tgt.iter().map(|p| p.name.clone()).collect();
    let mut cache =
        TermCache::new(&vocab, &learned.tokens, &src_names, &tgt_names).with_related(dict);

    let src_shape = structure(&src);

    let tgt_shape = structure(&tgt);
    let common = values::common_counts(
        &src.iter().map(|p| &p.profile).collect::<Vec<_>>(),
        &tgt.iter().map(|p| &p.profile).collect::<Vec<_>>(),
    );
    // Term similarities are computed once, up front; the pair loop then only reads them.
    let dense = cache.fill();
    let src_rows: Vec<Option<Vec<u32>>> = src
        .iter()
        .map(|p| {
            if dense {
                cache.offsets(&p.name, true)
            } else {
                None
            }
        })
        .collect();
    let tgt_cols: Vec<Option<Vec<u32>>> = tgt
        .iter()
        .map(|p| {
            if dense {
                cache.offsets(&p.name, false)
            } else {
                None
            }
        })
        .collect();
    let mut raw = Matrix::zeros(src.len(), tgt.len());
    for (i, s) in src.iter().enumerate() {
        for (j, t) in tgt.iter().enumerate() {
            let k = i * tgt.len() + j;
            let name = match (&src_rows[i], &tgt_cols[j]) {
                (Some(r), Some(c)) => cache.name_sim_dense(&s.name, r, &t.name, c),
                _ => similarity::name_sim(&s.name, &t.name, &mut cache),
            };
            raw.data[k] = score_pair(s, t, name, Some(usize::from(common[k]))).score;
        }
    }
    // Objects named by the parents only count in documents: in tables the same entity is often
    // split over several tables (`book.year` → `years.yr`).
    let documents = !is_relational(&src_paths) && !is_relational(&tgt_paths);
    let mut m = Matrix::zeros(src.len(), tgt.len());
    for i in 0..src.len() {
        for j in 0..tgt.len() {
            let mut score = raw.get(i, j) * src_shape[i].prior(&tgt_shape[j]);
            // Below the alternatives' floor a pair is never shown: no need to weigh its context.
            if documents && score >= options.min_score * 0.5 {
                score *= context_fit(&src[i].name, &tgt[j].name, &mut cache);
            }
            m.data[i * tgt.len() + j] = learned.adjust(src_paths[i], tgt_paths[j], score);
        }
    }

    let pairs = assignment::assign(&m, options.min_score, options.method);
    let mut out = Vec::new();
    // Pairs already reported, row-major.
    let mut taken = vec![false; src.len() * tgt.len()];
    let mut target_done = vec![false; tgt.len()];
    for &(i, j) in &pairs {
        taken[i * tgt.len() + j] = true;
        target_done[j] = true;
        out.push(explain(
            i,
            j,
            m.get(i, j),
            &src,
            &tgt,
            &src_paths,
            &tgt_paths,
            &learned,
            &mut cache,
            dict,
        ));
    }
    // 1 → n: a strong source may also feed a second target that nothing else feeds
    // (`email` → `email` and `emails[].address`).
    let mut second: Vec<(f64, usize, usize)> = Vec::new();
    for j in (0..tgt.len()).filter(|&j| !target_done[j]) {
        for &(i, first) in &pairs {
            let score = m.get(i, j);
            if score >= SECOND_TARGET_MIN && score >= 0.9 * m.get(i, first) {
                second.push((score, i, j));
            }
        }
    }
    second.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used_twice = vec![false; src.len()];
    for (score, i, j) in second {
        if target_done[j] || used_twice[i] {
            continue;
        }
        used_twice[i] = true;
        target_done[j] = true;
        taken[i * tgt.len() + j] = true;
        let mut sug = explain(
            i, j, score, &src, &tgt, &src_paths, &tgt_paths, &learned, &mut cache, dict,
        );
        sug.reason = format!("also feeds another target; {}", sug.reason);
        out.push(sug);
    }
    // n → 1: in tables, the same column repeated in several tables feeds one target column.
    if is_relational(&src_paths) && is_relational(&tgt_paths) {
        for (score, i, j) in shared_targets(&m, &pairs) {
            taken[i * tgt.len() + j] = true;
            let mut sug = explain(
                i, j, score, &src, &tgt, &src_paths, &tgt_paths, &learned, &mut cache, dict,
            );
            sug.reason = format!("another table's copy of the column; {}", sug.reason);
            out.push(sug);
        }
    }
    // 1 → n: a full name also feeds first- and last-name targets left without a source.
    for (i, s) in src.iter().enumerate() {
        if s.role != Some(NameRole::Full) {
            continue;
        }
        for (j, t) in tgt.iter().enumerate() {
            if !target_done[j]
                && matches!(t.role, Some(NameRole::First | NameRole::Last))
                && m.get(i, j) > 0.0
            {
                let mut sug = explain(
                    i,
                    j,
                    SPLIT_NAME_CONFIDENCE,
                    &src,
                    &tgt,
                    &src_paths,
                    &tgt_paths,
                    &learned,
                    &mut cache,
                    dict,
                );
                sug.reason = format!(
                    "a full name holds the {}; {}",
                    if t.role == Some(NameRole::First) {
                        "first name"
                    } else {
                        "last name"
                    },
                    sug.reason
                );
                taken[i * tgt.len() + j] = true;
                out.push(sug);
            }
        }
    }
    // Alternatives: the next best sources of each target, as hints.
    if options.alternatives > 0 {
        for j in 0..tgt.len() {
            // The best few candidates, kept sorted (score descending, then row) as they come.
            let mut cands: Vec<(f64, usize)> = Vec::with_capacity(options.alternatives + 1);
            let floor = options.min_score * 0.5;
            for i in 0..src.len() {
                let score = m.get(i, j);
                if score < floor || taken[i * tgt.len() + j] {
                    continue;
                }
                if cands.len() == options.alternatives && cands.last().is_some_and(|l| l.0 >= score)
                {
                    continue;
                }
                let at = cands
                    .iter()
                    .position(|c| c.0 < score)
                    .unwrap_or(cands.len());
                cands.insert(at, (score, i));
                cands.truncate(options.alternatives);
            }
            for &(score, i) in cands.iter().take(options.alternatives) {
                // Scaled rather than capped, so that alternatives keep the order of their scores.
                let conf = ALTERNATIVE_CAP * score.min(1.0);
                let mut sug = explain(
                    i, j, conf, &src, &tgt, &src_paths, &tgt_paths, &learned, &mut cache, dict,
                );
                sug.reason = format!("alternative candidate; {}", sug.reason);
                out.push(sug);
            }
        }
    }
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.target.cmp(&b.target))
            .then_with(|| a.source.cmp(&b.source))
    });
    out
}

/// Lowest term similarity for a parent's word to count as named by the other field.
const CONTEXT_MATCH: f64 = 0.5;
/// Share of the score kept when both fields sit in objects that have nothing in common
/// (`Opportunity[].City` vs `federalAgency.city`): the same leaf name describes different things.
const CONTEXT_CLASH: f64 = 0.8;

/// How well the objects the two fields belong to agree, as a share of the score to keep:
/// `CONTEXT_CLASH` when both fields are nested and neither one's parent words are found
/// anywhere in the other's name, 1 otherwise.
fn context_fit(s: &NameRepr, t: &NameRepr, cache: &mut TermCache<'_>) -> f64 {
    if s.parents.is_empty() || t.parents.is_empty() {
        return 1.0;
    }
    // Term ids are asked source first, as the cache's table is laid out.
    let t_named = t.parents.iter().any(|&y| {
        s.terms
            .iter()
            .chain(&s.flat)
            .any(|&(x, _)| cache.sim(x, y) >= CONTEXT_MATCH)
    });
    let s_named = t_named
        || s.parents.iter().any(|&x| {
            t.terms
                .iter()
                .chain(&t.flat)
                .any(|&(y, _)| cache.sim(x, y) >= CONTEXT_MATCH)
        });
    if s_named { 1.0 } else { CONTEXT_CLASH }
}

/// Whether a schema is a set of tables: every field a `table.column` path, without lists.
fn is_relational(paths: &[&str]) -> bool {
    paths
        .iter()
        .all(|p| !p.contains('[') && tokenize::split_path(p).len() == 2)
}

/// Share of the assigned pair's score that another source of the same target must reach.
const SHARED_TARGET_SHARE: f64 = 0.7;

/// n → 1 pairs: sources left unassigned whose best target is an assigned target, scoring nearly
/// as well as the source assigned to it (`misc.month` and `book.month` → `months.mon`).
fn shared_targets(m: &Matrix, pairs: &[(usize, usize)]) -> Vec<(f64, usize, usize)> {
    let mut assigned_source = vec![false; m.rows];
    let mut source_of = vec![None; m.cols];
    for &(i, j) in pairs {
        assigned_source[i] = true;
        source_of[j] = Some(i);
    }
    let mut out = Vec::new();
    for i in (0..m.rows).filter(|&i| !assigned_source[i]) {
        let Some((j, score)) = (0..m.cols)
            .map(|j| (j, m.get(i, j)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        if let Some(first) = source_of[j]
            && score >= SECOND_TARGET_MIN
            && score >= SHARED_TARGET_SHARE * m.get(first, j)
        {
            out.push((score, i, j));
        }
    }
    out
}

fn prepare(
    fields: &[&Field],
    paths: &[&str],
    entity: &HashSet<String>,
    dict: &Dictionary,
    compounds: &HashSet<String>,
    vocab: &mut Vocabulary,
    options: &SuggestOptions,
) -> Vec<Prepared> {
    let names = similarity::represent(paths, entity, dict, compounds, vocab);
    fields
        .iter()
        .zip(names)
        .map(|(f, name)| {
            let leaf_words = tokenize::split_path(&f.path)
                .pop()
                .map(|s| s.words)
                .unwrap_or_default();
            let role = name.leaf.iter().find_map(|id| {
                let term = vocab.terms.get(*id as usize)?;
                term.groups.iter().find_map(|g| match dict.group_name(*g) {
                    "full name" => Some(NameRole::Full),
                    "first name" => Some(NameRole::First),
                    "last name" => Some(NameRole::Last),
                    _ => None,
                })
            });
            Prepared {
                name,
                kind: types::parse(&f.field_type),
                profile: Profile::build(&f.samples, options.max_samples),
                leaf_words,
                role,
            }
        })
        .collect()
}

/// The scored evidence for one pair.
struct Evidence {
    score: f64,
    name: f64,
    type_fit: f64,
    values: Option<ValueEvidence>,
}

/// `common`: the number of distinct sample values the two fields share, when already counted.
fn evidence(
    s: &Prepared,
    t: &Prepared,
    cache: &mut TermCache<'_>,
    common: Option<usize>,
) -> Evidence {
    score_pair(s, t, similarity::name_sim(&s.name, &t.name, cache), common)
}

/// The evidence for one pair, its name similarity already known.
fn score_pair(s: &Prepared, t: &Prepared, name: f64, common: Option<usize>) -> Evidence {
    let type_fit = types::compatibility(&s.kind, &t.kind);
    let values = match common {
        Some(c) => values::compare_counted(&s.profile, &t.profile, c),
        None => values::compare(&s.profile, &t.profile),
    };
    let mut score = name;
    if let Some(v) = values {
        // Names and values are independent witnesses: either can carry the pair, and values
        // of a different kind (e-mails vs dates) count against it.
        // Unless the samples plainly share specific values (the same book titles, the same
        // dates): then differing names are no evidence against the pair.
        let meaningful = s.name.known.min(t.name.known) * (1.0 - v.specific_overlap);
        score = 1.0 - (1.0 - name) * (1.0 - 0.85 * (1.0 - 0.45 * meaningful) * v.score);
        score *= 0.55 + 0.45 * v.class_agreement;
    }
    score *= 0.6 + 0.4 * type_fit;
    // Priors from how mappings are written: fields named with the domain's words (e-mail,
    // amount, created) get mapped more often than exotic ones, and top-level fields more often
    // than deeply nested ones.
    score *= PRIOR_BASE + (1.0 - PRIOR_BASE) * s.name.known.max(t.name.known);
    Evidence {
        score: score.clamp(0.0, 1.0),
        name,
        type_fit,
        values,
    }
}

#[allow(clippy::too_many_arguments)]
fn explain(
    i: usize,
    j: usize,
    confidence: f64,
    src: &[Prepared],
    tgt: &[Prepared],
    src_paths: &[&str],
    tgt_paths: &[&str],
    learned: &learn::Learned,
    cache: &mut TermCache<'_>,
    dict: &Dictionary,
) -> Suggestion {
    let (s, t) = (&src[i], &tgt[j]);
    let e = evidence(s, t, cache, None);
    let mut parts: Vec<String> = Vec::new();
    if let Some(words) = name_words(s, t, cache, dict) {
        parts.push(words);
    } else if e.name >= 0.3 {
        parts.push(format!("names {:.0} % alike", e.name * 100.0));
    }
    let (sk, tk) = (types::describe(&s.kind), types::describe(&t.kind));
    if s.kind == t.kind {
        parts.push(format!("both {}", plural(&sk)));
    } else if e.type_fit < 0.5 {
        parts.push(format!("types differ ({sk} vs {tk})"));
    } else {
        parts.push(format!("{sk} to {tk}"));
    }
    if let Some(v) = e.values {
        if let Some((class, share)) = s.profile.dominant()
            && t.profile.share(class) >= 0.5
            && share >= 0.5
        {
            parts.push(format!(
                "{:.0} % of source samples look like {}",
                share * 100.0,
                class.plural()
            ));
        }
        if v.overlap >= 0.2 {
            parts.push(format!(
                "{:.0} % of sample values in common",
                v.overlap * 100.0
            ));
        } else if v.class_agreement < 0.3 {
            parts.push("sample values look different".to_string());
        }
    }
    let h = learned.history(src_paths[i], tgt_paths[j]);
    if h.accepted > 0 {
        parts.push(format!("accepted {} before", times(h.accepted)));
    }
    if h.rejected > 0 {
        parts.push(format!("rejected {} before", times(h.rejected)));
    }
    let transform = transform_hint::infer(
        Side {
            kind: &s.kind,
            profile: &s.profile,
            leaf_words: &s.leaf_words,
            name_role: s.role,
        },
        Side {
            kind: &t.kind,
            profile: &t.profile,
            leaf_words: &t.leaf_words,
            name_role: t.role,
        },
    );
    if let Some(h) = &transform {
        parts.push(transform_hint::describe(h));
    }
    Suggestion {
        source: src_paths[i].to_string(),
        target: tgt_paths[j].to_string(),
        confidence: (confidence * 1000.0).round() / 1000.0,
        reason: parts.join("; "),
        transform,
    }
}

fn times(n: u32) -> String {
    if n == 1 {
        "once".into()
    } else {
        format!("{n} times")
    }
}

fn plural(kind: &str) -> String {
    if kind.starts_with("list") {
        kind.replacen("list", "lists", 1)
    } else {
        format!("{kind}s")
    }
}

/// The strongest word-level link between the two leaves, in words.
fn name_words(
    s: &Prepared,
    t: &Prepared,
    cache: &mut TermCache<'_>,
    dict: &Dictionary,
) -> Option<String> {
    let mut best: Option<(f64, u32, u32)> = None;
    for a in &s.name.leaf {
        for b in &t.name.leaf {
            let sim = cache.sim(*a, *b);
            if sim > 0.0 && best.is_none_or(|(x, _, _)| sim > x) {
                best = Some((sim, *a, *b));
            }
        }
    }
    let (_, a, b) = best?;
    let (ta, tb) = (cache.term(a)?, cache.term(b)?);
    let (short, long) = if ta.text.len() <= tb.text.len() {
        (ta, tb)
    } else {
        (tb, ta)
    };
    Some(if s.leaf_words == t.leaf_words {
        format!("same name '{}'", s.leaf_words.join("_"))
    } else if ta.stems == tb.stems {
        format!("both names have '{}'", ta.text)
    } else if let Some(g) = ta.groups.iter().find(|g| tb.groups.contains(g)) {
        let group = dict.group_name(*g);
        if group == ta.text || group == tb.text {
            format!("'{}' and '{}' are synonyms", ta.text, tb.text)
        } else {
            format!(
                "'{}' and '{}' are synonyms (both mean '{group}')",
                ta.text, tb.text
            )
        }
    } else if learned_link(ta, tb, cache) {
        format!(
            "'{}' and '{}' were linked by accepted mappings",
            ta.text, tb.text
        )
    } else if similarity::abbreviation(&short.text, &long.text).is_some() {
        format!("'{}' abbreviates '{}'", short.text, long.text)
    } else {
        format!("'{}' resembles '{}'", ta.text, tb.text)
    })
}

fn learned_link(a: &dictionary::Term, b: &dictionary::Term, cache: &TermCache<'_>) -> bool {
    let (ka, kb) = (a.key(), b.key());
    cache.learned().contains(&(ka.clone(), kb.clone())) || cache.learned().contains(&(kb, ka))
}

#[cfg(test)]
mod tests;
