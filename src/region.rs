//! Region planning: which chunks of a regular grid a region touches, and
//! which part of each.

use crate::error::{invalid_argument, out_of_bounds, Result};

/// The part of one chunk that a region covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkPart {
    /// Grid indices of the chunk.
    pub chunk: Vec<u64>,
    /// Where the part starts inside the chunk.
    pub in_chunk: Vec<u64>,
    /// Where the part starts inside the region.
    pub in_region: Vec<u64>,
    /// The part's shape.
    pub shape: Vec<u64>,
}

impl ChunkPart {
    /// True when the part is the whole chunk.
    pub fn is_whole(&self, chunk_shape: &[u64]) -> bool {
        self.shape == chunk_shape
    }
}

/// Check that `start + shape` lies within `array_shape` and ranks agree.
pub fn check_region(array_shape: &[u64], start: &[u64], shape: &[u64]) -> Result<()> {
    if start.len() != array_shape.len() || shape.len() != array_shape.len() {
        return Err(invalid_argument(format!(
            "region has {} start and {} shape entries, the array has {} dimensions",
            start.len(),
            shape.len(),
            array_shape.len()
        )));
    }
    for d in 0..array_shape.len() {
        let end = start[d].checked_add(shape[d]);
        if end.is_none_or(|e| e > array_shape[d]) {
            return Err(out_of_bounds(format!(
                "region [{}, {}) in dimension {d} is outside the array extent {}",
                start[d],
                start[d].saturating_add(shape[d]),
                array_shape[d]
            )));
        }
    }
    Ok(())
}

/// The chunks of a grid that a region touches, in C order, each with its
/// covered part computed when asked for: a read of many chunks holds no
/// per-chunk plan.
#[derive(Debug, Clone)]
pub struct RegionPlan {
    chunk_shape: Vec<u64>,
    start: Vec<u64>,
    shape: Vec<u64>,
    /// The first touched chunk index along each dimension.
    first: Vec<u64>,
    /// How many chunks are touched along each dimension.
    counts: Vec<u64>,
}

impl RegionPlan {
    pub fn new(chunk_shape: &[u64], start: &[u64], shape: &[u64]) -> Self {
        let n = chunk_shape.len();
        let empty = shape.contains(&0);
        let first: Vec<u64> = (0..n).map(|d| start[d] / chunk_shape[d]).collect();
        let counts = (0..n)
            .map(|d| {
                if empty {
                    0
                } else {
                    (start[d] + shape[d] - 1) / chunk_shape[d] - first[d] + 1
                }
            })
            .collect();
        RegionPlan {
            chunk_shape: chunk_shape.to_vec(),
            start: start.to_vec(),
            shape: shape.to_vec(),
            first,
            counts,
        }
    }

    /// How many chunks the region touches (one for a 0-d region, none for
    /// an empty one). A region read into or written from a buffer touches
    /// no more chunks than the buffer has elements; one without a buffer
    /// (a fill) checks with `checked_len` first.
    pub fn len(&self) -> usize {
        self.counts.iter().product::<u64>() as usize
    }

    /// `len`, or an error when the count does not fit in a `usize`.
    pub fn checked_len(&self) -> Result<usize> {
        self.counts
            .iter()
            .try_fold(1u64, |n, &c| n.checked_mul(c))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                invalid_argument(format!(
                    "the region touches {:?} chunks along its dimensions, more than can be counted",
                    self.counts
                ))
            })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn chunk_shape(&self) -> &[u64] {
        &self.chunk_shape
    }

    /// How many chunks the region touches along its last dimension: the
    /// parts come in runs of this many that share all other indices.
    pub fn per_row(&self) -> usize {
        self.counts.last().map_or(1, |&c| c as usize)
    }

    /// The `i`-th touched chunk (C order) and the part the region covers.
    pub fn part(&self, mut i: usize) -> ChunkPart {
        let n = self.chunk_shape.len();
        let mut part = ChunkPart {
            chunk: vec![0; n],
            in_chunk: vec![0; n],
            in_region: vec![0; n],
            shape: vec![0; n],
        };
        for d in (0..n).rev() {
            let count = self.counts[d] as usize;
            let idx = self.first[d] + (i % count) as u64;
            i /= count;
            let c0 = idx * self.chunk_shape[d];
            let lo = self.start[d].max(c0);
            // The last chunk of a dimension near u64::MAX may end past it.
            let hi = (self.start[d] + self.shape[d]).min(c0.saturating_add(self.chunk_shape[d]));
            part.chunk[d] = idx;
            part.in_chunk[d] = lo - c0;
            part.in_region[d] = lo - self.start[d];
            part.shape[d] = hi - lo;
        }
        part
    }

    /// The C-order indices, in a grid of `grid` chunks, of the chunks the
    /// region touches, in increasing order: eight bytes each, where a list
    /// of parts would hold a few hundred.
    pub fn flat_indices(&self, grid: &[u64]) -> Result<Vec<usize>> {
        let mut flats = crate::alloc::with_capacity(self.checked_len()?)?;
        let n = grid.len();
        if self.counts.contains(&0) {
            return Ok(flats);
        }
        let mut at = vec![0u64; n];
        loop {
            flats.push((0..n).fold(0u64, |f, d| f * grid[d] + self.first[d] + at[d]) as usize);
            let mut d = n;
            loop {
                if d == 0 {
                    return Ok(flats);
                }
                d -= 1;
                at[d] += 1;
                if at[d] < self.counts[d] {
                    break;
                }
                at[d] = 0;
            }
        }
    }

    /// The part of the chunk whose C-order index in a grid of `grid`
    /// chunks is `flat`, or None when the region does not touch it. Lets a
    /// caller walk a whole grid without a list of the touched parts, which
    /// tiny chunks would make as long as the region has elements.
    pub fn part_at_flat(&self, grid: &[u64], mut flat: u64) -> Option<ChunkPart> {
        let mut i = 0usize;
        let mut stride = 1usize;
        for d in (0..grid.len()).rev() {
            let idx = flat % grid[d];
            flat /= grid[d];
            let offset = idx.checked_sub(self.first[d])?;
            if offset >= self.counts[d] {
                return None;
            }
            i += offset as usize * stride;
            stride *= self.counts[d] as usize;
        }
        Some(self.part(i))
    }
}

/// Every part of a [`RegionPlan`], materialised, or an error where the
/// list cannot be counted or allocated (a part is a few hundred bytes, and
/// tiny chunks make one per element).
pub fn chunk_parts(chunk_shape: &[u64], start: &[u64], shape: &[u64]) -> Result<Vec<ChunkPart>> {
    let plan = RegionPlan::new(chunk_shape, start, shape);
    let n = plan.checked_len()?;
    let mut parts = crate::alloc::with_capacity(n)?;
    parts.extend((0..n).map(|i| plan.part(i)));
    Ok(parts)
}

/// Row-major (C order) element strides of a shape. Saturating: a shape
/// with more elements than a `u64` counts has no valid layout, and the
/// callers that size buffers check their span with checked arithmetic.
pub fn c_strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1].saturating_mul(shape[d + 1]);
    }
    s
}

/// The product of a shape as a checked `usize`.
pub fn num_elements(shape: &[u64]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| invalid_argument("region is too large to address"))
}

/// The C-order index, in a box of shape `outer` (strides `strides`), of
/// element `idx` of a part that starts at `at`.
pub fn flat_index(at: &[u64], idx: &[u64], strides: &[u64]) -> usize {
    at.iter()
        .zip(idx)
        .zip(strides)
        .map(|((a, i), s)| (a + i) * s)
        .sum::<u64>() as usize
}

/// Call `f` with each index of `shape`, C order.
pub fn for_each_index(shape: &[u64], mut f: impl FnMut(&[u64])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0u64; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_region_exactly_once() {
        let chunk = [4u64, 3];
        let (start, shape) = ([2u64, 1], [7u64, 6]);
        let parts = chunk_parts(&chunk, &start, &shape).unwrap();
        // Rows 2..9 touch chunks 0..=2; cols 1..7 touch chunks 0..=2.
        assert_eq!(parts.len(), 9);
        let mut seen = [0u32; 42];
        for p in &parts {
            for i in 0..p.shape[0] {
                for j in 0..p.shape[1] {
                    let (r, c) = (p.in_region[0] + i, p.in_region[1] + j);
                    // The same element, seen from the chunk side.
                    assert_eq!(p.chunk[0] * 4 + p.in_chunk[0] + i, start[0] + r);
                    assert_eq!(p.chunk[1] * 3 + p.in_chunk[1] + j, start[1] + c);
                    seen[(r * 6 + c) as usize] += 1;
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        // C order: the last dimension's chunk index moves fastest.
        let order: Vec<Vec<u64>> = parts.iter().map(|p| p.chunk.clone()).collect();
        assert_eq!(order[..4], [vec![0, 0], vec![0, 1], vec![0, 2], vec![1, 0]]);
        assert_eq!(
            parts[0],
            ChunkPart {
                chunk: vec![0, 0],
                in_chunk: vec![2, 1],
                in_region: vec![0, 0],
                shape: vec![2, 2]
            }
        );
    }

    #[test]
    fn part_at_flat_finds_each_touched_chunk_of_a_grid() {
        let (chunk, grid) = ([3u64, 2, 4], [4u64, 5, 3]);
        let (start, shape) = ([2u64, 3, 1], [6u64, 4, 9]);
        let plan = RegionPlan::new(&chunk, &start, &shape);
        let mut found = 0;
        for flat in 0..grid.iter().product::<u64>() {
            let coords = [flat / 15, flat / 3 % 5, flat % 3];
            let part = plan.part_at_flat(&grid, flat);
            let touched = (0..3)
                .all(|d| coords[d] >= plan.first[d] && coords[d] < plan.first[d] + plan.counts[d]);
            assert_eq!(part.is_some(), touched, "chunk {coords:?}");
            if let Some(p) = part {
                assert_eq!(p.chunk, coords);
                assert_eq!(p, plan.part(found), "C order, as part(i)");
                found += 1;
            }
        }
        assert_eq!(found, plan.len());
        assert!(RegionPlan::new(&chunk, &start, &[0, 4, 9])
            .part_at_flat(&grid, 0)
            .is_none());
    }

    #[test]
    fn c_strides_saturate_instead_of_overflowing() {
        assert_eq!(
            c_strides(&[2, 1 << 32, 1 << 32]),
            vec![u64::MAX, 1 << 32, 1]
        );
    }

    #[test]
    fn zero_d_and_empty() {
        assert_eq!(chunk_parts(&[], &[], &[]).unwrap().len(), 1);
        assert!(chunk_parts(&[4], &[0], &[0]).unwrap().is_empty());
    }

    #[test]
    fn region_checks() {
        assert!(check_region(&[10, 10], &[0, 0], &[10, 10]).is_ok());
        assert!(check_region(&[10, 10], &[5, 0], &[6, 10]).is_err());
        assert!(check_region(&[10, 10], &[0], &[1]).is_err());
        assert!(check_region(&[10], &[u64::MAX], &[2]).is_err());
        assert_eq!(c_strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}
