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
        if end.map_or(true, |e| e > array_shape[d]) {
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

/// The chunks of a grid with `chunk_shape` that the region touches, in C
/// order, each with its covered part. An empty region touches none.
pub fn chunk_parts(chunk_shape: &[u64], start: &[u64], shape: &[u64]) -> Vec<ChunkPart> {
    let n = chunk_shape.len();
    if shape.iter().any(|&s| s == 0) {
        return Vec::new();
    }
    let first: Vec<u64> = (0..n).map(|d| start[d] / chunk_shape[d]).collect();
    let last: Vec<u64> = (0..n)
        .map(|d| (start[d] + shape[d] - 1) / chunk_shape[d])
        .collect();
    let mut parts = Vec::new();
    let mut idx = first.clone();
    loop {
        let mut part = ChunkPart {
            chunk: idx.clone(),
            in_chunk: vec![0; n],
            in_region: vec![0; n],
            shape: vec![0; n],
        };
        for d in 0..n {
            let c0 = idx[d] * chunk_shape[d];
            let lo = start[d].max(c0);
            let hi = (start[d] + shape[d]).min(c0 + chunk_shape[d]);
            part.in_chunk[d] = lo - c0;
            part.in_region[d] = lo - start[d];
            part.shape[d] = hi - lo;
        }
        parts.push(part);
        // Odometer over [first, last], last dimension fastest.
        let mut d = n;
        loop {
            if d == 0 {
                return parts;
            }
            d -= 1;
            if idx[d] < last[d] {
                idx[d] += 1;
                break;
            }
            idx[d] = first[d];
        }
    }
}

/// Row-major (C order) element strides of a shape.
pub fn c_strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_region_exactly_once() {
        let chunk = [4u64, 3];
        let (start, shape) = ([2u64, 1], [7u64, 6]);
        let parts = chunk_parts(&chunk, &start, &shape);
        // Rows 2..9 touch chunks 0..=2; cols 1..7 touch chunks 0..=2.
        assert_eq!(parts.len(), 9);
        let mut seen = vec![0u32; 42];
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
    fn zero_d_and_empty() {
        assert_eq!(chunk_parts(&[], &[], &[]).len(), 1);
        assert!(chunk_parts(&[4], &[0], &[0]).is_empty());
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
