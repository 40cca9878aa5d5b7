//! The `rectilinear` chunk grid (zarr-extensions `chunk-grids/rectilinear`,
//! zarr-python's variable chunking): along each dimension, chunks of the
//! edge lengths listed.
//!
//! `{"name": "rectilinear", "configuration": {"kind": "inline",
//! "chunk_shapes": [[2, 3, 5], [[4, 2], 1], 8]}}`: a dimension is a list of
//! edge lengths, each an integer or a run `[length, count]`, or (as
//! zarr-python writes a dimension whose chunks are all alike) one integer,
//! a step repeated as far as needed. Listed edges must reach the array's
//! extent and may go past it. Runs stay runs here, so metadata cannot ask
//! for memory by repeating an edge many times.

use crate::error::{invalid_metadata, unsupported, Result};
use serde_json::Value;

/// The grid's name in `zarr.json`.
pub const NAME: &str = "rectilinear";

/// `count` chunks of `edge` elements, the first at element `start` and
/// numbered from `first`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    start: u64,
    first: u64,
    edge: u64,
    count: u64,
}

/// One dimension's chunks: runs in order, the last one unbounded for a
/// step repeated as far as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dimension {
    runs: Vec<Run>,
    /// Chunks that hold an element of the array (start below its extent).
    chunks: u64,
    /// The sum of the listed edges; None for a step.
    total: Option<u64>,
}

impl Dimension {
    fn parse(v: &Value, extent: u64, d: usize) -> Result<Dimension> {
        let bad = |what: &str| {
            invalid_metadata(format!(
                "chunk_grid \"{NAME}\": chunk_shapes[{d}] {v}: {what}"
            ))
        };
        let positive = |x: &Value| x.as_u64().filter(|n| *n > 0);
        let mut runs: Vec<Run> = Vec::new();
        let (mut start, mut first) = (0u64, 0u64);
        let mut push = |edge: u64, count: u64| -> Result<()> {
            runs.push(Run {
                start,
                first,
                edge,
                count,
            });
            start = edge
                .checked_mul(count)
                .and_then(|n| n.checked_add(start))
                .ok_or_else(|| bad("the edges add up past 2^64"))?;
            first = first
                .checked_add(count)
                .ok_or_else(|| bad("more than 2^64 chunks"))?;
            Ok(())
        };
        match v {
            // A step repeated as far as needed.
            Value::Number(_) => {
                let step = positive(v).ok_or_else(|| bad("an edge length must be positive"))?;
                runs.push(Run {
                    start: 0,
                    first: 0,
                    edge: step,
                    count: u64::MAX,
                });
                return Ok(Dimension {
                    runs,
                    chunks: extent.div_ceil(step),
                    total: None,
                });
            }
            Value::Array(items) if !items.is_empty() => {
                for item in items {
                    match item {
                        Value::Array(pair) => match pair.as_slice() {
                            [edge, count] => push(
                                positive(edge)
                                    .ok_or_else(|| bad("an edge length must be positive"))?,
                                positive(count)
                                    .ok_or_else(|| bad("a run's count must be positive"))?,
                            )?,
                            _ => return Err(bad("a run is [edge length, count]")),
                        },
                        edge => push(
                            positive(edge).ok_or_else(|| bad("an edge length must be positive"))?,
                            1,
                        )?,
                    }
                }
            }
            _ => return Err(bad("must be a list of edge lengths or one edge length")),
        }
        if start < extent {
            return Err(bad(&format!(
                "the edges add up to {start}, short of the array's extent {extent}"
            )));
        }
        let dim = Dimension {
            runs,
            chunks: 0,
            total: Some(start),
        };
        let chunks = if extent == 0 {
            0
        } else {
            dim.index_of(extent - 1) + 1
        };
        Ok(Dimension { chunks, ..dim })
    }

    /// The run holding chunk `i`.
    fn run_of_chunk(&self, i: u64) -> &Run {
        let k = self.runs.partition_point(|r| r.first <= i) - 1;
        &self.runs[k]
    }

    /// The chunk holding element `pos`.
    fn index_of(&self, pos: u64) -> u64 {
        let k = self.runs.partition_point(|r| r.start <= pos) - 1;
        let r = &self.runs[k];
        r.first + (pos - r.start) / r.edge
    }

    /// First element and edge length of chunk `i` (saturating: a chunk
    /// key past the listed edges, another writer's, lies past the end).
    fn span(&self, i: u64) -> (u64, u64) {
        let r = self.run_of_chunk(i);
        let origin = (i - r.first).saturating_mul(r.edge).saturating_add(r.start);
        (origin, r.edge)
    }
}

/// A parsed rectilinear grid for an array of a given shape.
#[derive(Debug, Clone, PartialEq)]
pub struct RectilinearGrid {
    dims: Vec<Dimension>,
    /// The `chunk_grid` object as stored, written back unchanged.
    json: Value,
}

impl RectilinearGrid {
    /// Parse the `chunk_grid` object of an array of `shape`.
    pub fn parse(v: &Value, shape: &[u64]) -> Result<RectilinearGrid> {
        let cfg = v
            .get("configuration")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                invalid_metadata(format!("chunk_grid \"{NAME}\" needs a configuration"))
            })?;
        if let Some(k) = cfg.keys().find(|k| *k != "kind" && *k != "chunk_shapes") {
            return Err(invalid_metadata(format!(
                "chunk_grid \"{NAME}\": unknown configuration field \"{k}\""
            )));
        }
        match cfg.get("kind") {
            Some(Value::String(k)) if k == "inline" => {}
            Some(Value::String(k)) => {
                return Err(unsupported(format!(
                    "chunk_grid \"{NAME}\": kind \"{k}\" is not supported (\"inline\" is)"
                )))
            }
            _ => {
                return Err(invalid_metadata(format!(
                    "chunk_grid \"{NAME}\" needs \"kind\": \"inline\""
                )))
            }
        }
        let shapes = cfg
            .get("chunk_shapes")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                invalid_metadata(format!(
                    "chunk_grid \"{NAME}\" needs a \"chunk_shapes\" list"
                ))
            })?;
        if shapes.len() != shape.len() {
            return Err(invalid_metadata(format!(
                "chunk_grid \"{NAME}\" has {} dimensions but the array has {}",
                shapes.len(),
                shape.len()
            )));
        }
        let dims = shapes
            .iter()
            .zip(shape)
            .enumerate()
            .map(|(d, (v, extent))| Dimension::parse(v, *extent, d))
            .collect::<Result<Vec<_>>>()?;
        Ok(RectilinearGrid {
            dims,
            json: v.clone(),
        })
    }

    /// The `chunk_grid` object.
    pub fn to_json(&self) -> Value {
        self.json.clone()
    }

    /// Chunks along each dimension that hold elements of the array.
    pub fn grid_shape(&self) -> Vec<u64> {
        self.dims.iter().map(|d| d.chunks).collect()
    }

    /// First element and (full) shape of the chunk at `indices`.
    pub fn chunk_span(&self, indices: &[u64]) -> (Vec<u64>, Vec<u64>) {
        self.dims
            .iter()
            .zip(indices)
            .map(|(d, i)| d.span(*i))
            .unzip()
    }

    /// The `chunk_grid` object for the array grown to `shape`, as
    /// zarr-python grows it: a dimension of listed edges that falls short
    /// of the new extent gains one edge reaching it; steps, and edges that
    /// already reach it, stay. None when nothing changes.
    pub fn grown_to(&self, shape: &[u64]) -> Option<Value> {
        let mut json = self.json.clone();
        let mut changed = false;
        for (d, (dim, extent)) in self.dims.iter().zip(shape).enumerate() {
            if let Some(total) = dim.total.filter(|t| t < extent) {
                let list = json["configuration"]["chunk_shapes"][d].as_array_mut()?;
                list.push(Value::from(extent - total));
                changed = true;
            }
        }
        changed.then_some(json)
    }

    /// The distinct edge lengths of the chunks along dimension `d` that
    /// hold elements of the array, ascending.
    pub fn distinct_edges(&self, d: usize) -> Vec<u64> {
        let dim = &self.dims[d];
        let mut edges: Vec<u64> = dim
            .runs
            .iter()
            .filter(|r| r.first < dim.chunks)
            .map(|r| r.edge)
            .collect();
        edges.sort_unstable();
        edges.dedup();
        edges
    }

    /// The chunk holding element `pos` along dimension `d`.
    pub fn index_of(&self, d: usize, pos: u64) -> u64 {
        self.dims[d].index_of(pos)
    }

    /// First element and edge length of chunk `i` along dimension `d`.
    pub fn span_along(&self, d: usize, i: u64) -> (u64, u64) {
        self.dims[d].span(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn grid(shapes: Value, shape: &[u64]) -> Result<RectilinearGrid> {
        RectilinearGrid::parse(
            &json!({"name": NAME, "configuration": {"kind": "inline", "chunk_shapes": shapes}}),
            shape,
        )
    }

    #[test]
    fn the_specification_example() {
        let g = grid(
            json!([[[2, 3]], [[1, 6]], [1, [2, 1], 3], [[1, 3], 3], [6]]),
            &[6, 6, 6, 6, 6],
        )
        .unwrap();
        assert_eq!(g.grid_shape(), [3, 6, 3, 4, 1]);
        assert_eq!(
            g.chunk_span(&[2, 5, 2, 3, 0]),
            (vec![4, 5, 3, 3, 0], vec![2, 1, 3, 3, 6])
        );
        assert_eq!(
            g.chunk_span(&[1, 0, 1, 2, 0]),
            (vec![2, 0, 1, 2, 0], vec![2, 1, 2, 1, 6])
        );
        let at: Vec<u64> = (0..6).map(|p| g.index_of(3, p)).collect();
        assert_eq!(at, [0, 1, 2, 3, 3, 3]);
    }

    #[test]
    fn steps_edges_past_the_extent_and_huge_runs() {
        // zarr-python's bare step, and edges that go past the extent.
        let g = grid(json!([4, [3, 3, 10]]), &[10, 7]).unwrap();
        assert_eq!(g.grid_shape(), [3, 3]);
        assert_eq!(g.chunk_span(&[2, 2]), (vec![8, 6], vec![4, 10]));
        assert_eq!(g.index_of(0, 9), 2);
        // A run of 2^60 chunks is two numbers, not a list of them.
        let g = grid(json!([[[1, 1u64 << 60]]]), &[1 << 40]).unwrap();
        assert_eq!(g.grid_shape(), [1 << 40]);
        assert_eq!(
            g.chunk_span(&[(1 << 40) - 1]),
            (vec![(1 << 40) - 1], vec![1])
        );
        // An empty dimension has no chunks.
        assert_eq!(grid(json!([[5]]), &[0]).unwrap().grid_shape(), [0]);
    }

    #[test]
    fn growing_appends_an_edge_where_listed_edges_fall_short() {
        let g = grid(json!([[2, [3, 2]], 4, [5, 9]]), &[8, 10, 12]).unwrap();
        assert_eq!(g.grown_to(&[8, 100, 14]), None);
        let grown = g.grown_to(&[11, 100, 20]).unwrap();
        assert_eq!(
            grown["configuration"]["chunk_shapes"],
            json!([[2, [3, 2], 3], 4, [5, 9, 6]])
        );
        let g = RectilinearGrid::parse(&grown, &[11, 100, 20]).unwrap();
        assert_eq!(g.grid_shape(), [4, 25, 3]);
        assert_eq!(g.chunk_span(&[3, 0, 2]), (vec![8, 0, 14], vec![3, 4, 6]));
    }

    #[test]
    fn refused() {
        for (shapes, shape) in [
            (json!([[2, 3]]), vec![6]),            // short of the extent
            (json!([[0, 6]]), vec![6]),            // an empty edge
            (json!([[[2, 0], 6]]), vec![6]),       // a run of none
            (json!([[[2, 3, 1]]]), vec![6]),       // not a pair
            (json!([[]]), vec![0]),                // no edges
            (json!([0]), vec![6]),                 // a step of 0
            (json!([[6]]), vec![6, 6]),            // rank
            (json!([[-1, 7]]), vec![6]),           // negative
            (json!([["6"]]), vec![6]),             // not a number
            (json!([[[1u64 << 63, 4]]]), vec![6]), // past 2^64
        ] {
            let e = grid(shapes.clone(), &shape).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{shapes}: {e}");
        }
        let other_kind = RectilinearGrid::parse(
            &json!({"name": NAME, "configuration": {"kind": "url", "chunk_shapes": [[6]]}}),
            &[6],
        );
        assert_eq!(other_kind.unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
