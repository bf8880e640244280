//! One-to-one assignment over a score matrix: optimal (Hungarian) or greedy, both leaving a row or
//! column unassigned when nothing scores above the threshold.

use serde::{Deserialize, Serialize};

/// How sources and targets are paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Maximise the total score (Kuhn–Munkres).
    Hungarian,
    /// Take the best remaining pair until none is left above the threshold: on real schemas it
    /// keeps the obvious pairs that an optimal total may trade away.
    #[default]
    Greedy,
}

/// A dense score matrix, row-major, `rows × cols`.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Number of rows (sources).
    pub rows: usize,
    /// Number of columns (targets).
    pub cols: usize,
    /// Scores, `data[r * cols + c]`.
    pub data: Vec<f64>,
}

impl Matrix {
    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Matrix {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// The score at (r, c).
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }
}

/// Pairs rows with columns, each at most once, keeping only pairs scoring at least `threshold`.
/// Returns `(row, col)` pairs.
pub fn assign(m: &Matrix, threshold: f64, method: Method) -> Vec<(usize, usize)> {
    match method {
        Method::Greedy => greedy(m, threshold),
        Method::Hungarian => hungarian(m, threshold),
    }
}

/// A candidate pair for the greedy assignment, ordered best first: higher score, then lower
/// row, then lower column (so that the answer does not depend on sort internals).
#[derive(Debug, Clone, Copy)]
struct Cand(f64, usize, usize);

impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    /// `Greater` means better (a max-heap pops it first).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .total_cmp(&other.0)
            .then(other.1.cmp(&self.1))
            .then(other.2.cmp(&self.2))
    }
}

/// Candidates kept per row before the rest of the row is needed.
const ROW_HEAD: usize = 16;

/// Greedy assignment, lazily: each row offers its best free column to a heap; the best offer
/// overall is taken, and a row whose column was taken offers its next one. Same answer as
/// scanning every pair in order, without sorting every pair.
fn greedy(m: &Matrix, threshold: f64) -> Vec<(usize, usize)> {
    // Per row: its candidates above the threshold, best first; only the head is sorted until
    // a row runs through it.
    let row_cands = |r: usize, all: bool| -> (Vec<Cand>, bool) {
        let mut v: Vec<Cand> = (0..m.cols)
            .map(|c| Cand(m.get(r, c), r, c))
            .filter(|c| c.0 >= threshold)
            .collect();
        let cut = !all && v.len() > ROW_HEAD;
        if cut {
            v.select_nth_unstable_by(ROW_HEAD - 1, |a, b| b.cmp(a));
            v.truncate(ROW_HEAD);
        }
        v.sort_unstable_by(|a, b| b.cmp(a));
        (v, cut)
    };
    let mut rows: Vec<(Vec<Cand>, bool, usize)> = (0..m.rows)
        .map(|r| {
            let (v, cut) = row_cands(r, false);
            (v, cut, 0)
        })
        .collect();
    let mut heap: std::collections::BinaryHeap<Cand> = rows
        .iter()
        .filter_map(|(v, _, _)| v.first().copied())
        .collect();
    let mut col_used = vec![false; m.cols];
    let mut out = Vec::new();
    while let Some(Cand(_, r, c)) = heap.pop() {
        if !col_used[c] {
            col_used[c] = true;
            out.push((r, c));
            continue;
        }
        // The row's offer was taken: move on to its next free column.
        let Some(row) = rows.get_mut(r) else { continue };
        loop {
            row.2 += 1;
            if row.2 >= row.0.len() && row.1 {
                // The head ran out: the rest of the row, in order, after what was seen.
                let (all, _) = row_cands(r, true);
                let seen = row.0.len();
                row.0 = all;
                row.1 = false;
                row.2 = seen;
            }
            match row.0.get(row.2) {
                Some(next) if col_used[next.2] => continue,
                Some(next) => {
                    heap.push(*next);
                    break;
                }
                None => break,
            }
        }
    }
    out
}

fn hungarian(m: &Matrix, threshold: f64) -> Vec<(usize, usize)> {
    // Only rows and columns with some pair above the threshold take part: it keeps the cubic
    // algorithm small on wide schemas where most fields have no counterpart.
    let rows: Vec<usize> = (0..m.rows)
        .filter(|&r| (0..m.cols).any(|c| m.get(r, c) >= threshold))
        .collect();
    let cols: Vec<usize> = (0..m.cols)
        .filter(|&c| (0..m.rows).any(|r| m.get(r, c) >= threshold))
        .collect();
    if rows.is_empty() || cols.is_empty() {
        return Vec::new();
    }
    let transpose = rows.len() > cols.len();
    let (n, k) = if transpose {
        (cols.len(), rows.len())
    } else {
        (rows.len(), cols.len())
    };
    // Cost to minimise: pairs under the threshold are worth nothing.
    let cost = |i: usize, j: usize| -> f64 {
        let (r, c) = if transpose {
            (rows[j], cols[i])
        } else {
            (rows[i], cols[j])
        };
        let s = m.get(r, c);
        if s >= threshold { -s } else { 0.0 }
    };
    // Kuhn–Munkres with potentials, O(n² k), 1-based as in the classic formulation.
    let inf = f64::INFINITY;
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; k + 1]);
    let mut p = vec![0usize; k + 1];
    let mut way = vec![0usize; k + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![inf; k + 1];
        let mut used = vec![false; k + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0;
            for j in 1..=k {
                if !used[j] {
                    let cur = cost(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=k {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = Vec::new();
    for j in 1..=k {
        if p[j] == 0 {
            continue;
        }
        let (r, c) = if transpose {
            (rows[j - 1], cols[p[j] - 1])
        } else {
            (rows[p[j] - 1], cols[j - 1])
        };
        if m.get(r, c) >= threshold {
            out.push((r, c));
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[&[f64]]) -> Matrix {
        let cols = rows.first().map_or(0, |r| r.len());
        Matrix {
            rows: rows.len(),
            cols,
            data: rows.iter().flat_map(|r| r.iter().copied()).collect(),
        }
    }

    fn check(rows: &[&[f64]], threshold: f64, method: Method, expected: &[(usize, usize)]) {
        let mut got = assign(&matrix(rows), threshold, method);
        got.sort_unstable();
        assert_eq!(got, expected, "{method:?} on {rows:?}");
    }

    /// The lazy greedy must give the same pairs as scanning every pair best first.
    #[test]
    fn lazy_greedy_equals_full_scan() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for (rows, cols) in [(5, 7), (40, 30), (3, 60), (60, 3)] {
            let data: Vec<f64> = (0..rows * cols)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Coarse values, so that ties occur.
                    (x % 20) as f64 / 20.0
                })
                .collect();
            let m = Matrix { rows, cols, data };
            let mut cand: Vec<(f64, usize, usize)> = (0..rows)
                .flat_map(|r| (0..cols).map(move |c| (r, c)))
                .map(|(r, c)| (m.get(r, c), r, c))
                .filter(|c| c.0 >= 0.3)
                .collect();
            cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let (mut ru, mut cu, mut want) = (vec![false; rows], vec![false; cols], Vec::new());
            for (_, r, c) in cand {
                if !ru[r] && !cu[c] {
                    ru[r] = true;
                    cu[c] = true;
                    want.push((r, c));
                }
            }
            assert_eq!(greedy(&m, 0.3), want, "{rows} x {cols}");
        }
    }

    #[test]
    fn assigns_one_to_one_above_threshold() {
        use Method::*;
        // The optimum trades the single best pair for a better total; greedy keeps it.
        let trade: &[&[f64]] = &[&[0.9, 0.8], &[0.85, 0.1]];
        check(trade, 0.5, Hungarian, &[(0, 1), (1, 0)]);
        check(trade, 0.5, Greedy, &[(0, 0)]);
        // Nothing above the threshold: nothing assigned.
        check(&[&[0.2, 0.3], &[0.1, 0.4]], 0.5, Hungarian, &[]);
        check(&[&[0.2, 0.3], &[0.1, 0.4]], 0.5, Greedy, &[]);
        // Rectangular, both ways.
        check(&[&[0.1, 0.9, 0.2]], 0.5, Hungarian, &[(0, 1)]);
        check(&[&[0.1], &[0.95], &[0.6]], 0.5, Hungarian, &[(1, 0)]);
        check(&[&[0.1], &[0.95], &[0.6]], 0.5, Greedy, &[(1, 0)]);
        // A row under the threshold stays unassigned even when a column is free.
        check(&[&[0.9, 0.0], &[0.8, 0.3]], 0.5, Hungarian, &[(0, 0)]);
        check(&[], 0.5, Hungarian, &[]);
    }
}
