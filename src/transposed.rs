//! Copies of planes whose contiguous dimension differs between source and
//! destination: a C-order chunk into a Fortran-order buffer, or back.
//!
//! Copying such a plane element by element along the source's rows writes
//! every element to another destination line (and, for large arrays, to
//! another page), so each line is fetched and written back once per
//! element it holds. Here the plane is cut into tiles small enough that
//! all the lines a tile touches on both sides stay in the first-level
//! cache, and each tile is moved in square blocks of 16 bytes a row,
//! transposed in registers (SSE2 on x86_64, part of its baseline).

/// Copy the `na` x `nb` plane whose element (i, j) is at byte
/// `i * sa + j * elem` of `src` to byte `i * elem + j * tb` of `dst`: the
/// source is contiguous along j, the destination along i.
///
/// # Safety
/// Every addressed source element must be readable, every destination
/// element writable, and the two planes must not overlap.
pub(crate) unsafe fn copy_plane(
    src: *const u8,
    sa: usize,
    dst: *mut u8,
    tb: usize,
    na: usize,
    nb: usize,
    elem: usize,
) {
    let side = block_side(elem);
    // Tiles of rows of up to 128 bytes on both sides: at most 2 x 64 rows
    // of 2 lines, 32 KiB, the size of a first-level data cache.
    let tile = (128 / elem).clamp(side, 64);
    let (na_blocks, nb_blocks) = if side > 1 {
        (na / side * side, nb / side * side)
    } else {
        (0, 0)
    };
    for i0 in (0..na_blocks).step_by(tile) {
        let i1 = (i0 + tile).min(na_blocks);
        for j0 in (0..nb_blocks).step_by(tile) {
            let j1 = (j0 + tile).min(nb_blocks);
            // Along the destination's rows innermost: each block writes
            // on where the one before ended (read_all into Fortran order 5
            // to 18% faster than along the source's rows, BENCHMARKS.md
            // "Fortran-order reads and writes").
            for j in (j0..j1).step_by(side) {
                for i in (i0..i1).step_by(side) {
                    // SAFETY: the block's rows lie inside both planes
                    // (i + side <= na, j + side <= nb).
                    copy_block(
                        src.add(i * sa + j * elem),
                        sa,
                        dst.add(j * tb + i * elem),
                        tb,
                        elem,
                    );
                }
            }
        }
    }
    // What the blocks leave: the rows past the last whole block along i,
    // and the columns past it along j.
    copy_tiles(src, sa, dst, tb, na_blocks..na, 0..nb, elem, tile);
    copy_tiles(src, sa, dst, tb, 0..na_blocks, nb_blocks..nb, elem, tile);
}

/// Elements a side of the square blocks moved in registers: 16 bytes a
/// row; 1 where elements are moved one by one.
fn block_side(elem: usize) -> usize {
    if cfg!(target_arch = "x86_64") && matches!(elem, 1 | 2 | 4 | 8) {
        16 / elem
    } else {
        1
    }
}

/// `copy_plane` of the rows `ia` and columns `jb`, element by element in
/// tiles.
///
/// # Safety
/// As [`copy_plane`].
#[allow(clippy::too_many_arguments)]
unsafe fn copy_tiles(
    src: *const u8,
    sa: usize,
    dst: *mut u8,
    tb: usize,
    ia: std::ops::Range<usize>,
    jb: std::ops::Range<usize>,
    elem: usize,
    tile: usize,
) {
    for i0 in ia.clone().step_by(tile) {
        let i1 = (i0 + tile).min(ia.end);
        for j0 in jb.clone().step_by(tile) {
            for j in j0..(j0 + tile).min(jb.end) {
                // Column j of the tile: `sa` is a whole number of elements.
                crate::strided::copy_run(
                    src.add(i0 * sa + j * elem),
                    sa / elem,
                    dst.add(j * tb + i0 * elem),
                    1,
                    i1 - i0,
                    elem,
                );
            }
        }
    }
}

/// One square block of `16 / elem` rows of 16 bytes, read along the
/// source's rows and written along the destination's.
///
/// # Safety
/// As [`copy_plane`], for the block's rows; `elem` is 1, 2, 4 or 8.
#[inline(always)]
unsafe fn copy_block(src: *const u8, sa: usize, dst: *mut u8, tb: usize, elem: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use sse2::*;
        match elem {
            1 => {
                let r = load::<16>(src, sa);
                let r = round::<16>(&r, 1, 1);
                let r = round::<16>(&r, 2, 2);
                let r = round::<16>(&r, 4, 4);
                store(&round::<16>(&r, 8, 8), dst, tb);
            }
            2 => {
                let r = load::<8>(src, sa);
                let r = round::<8>(&r, 1, 2);
                let r = round::<8>(&r, 2, 4);
                store(&round::<8>(&r, 4, 8), dst, tb);
            }
            4 => {
                let r = load::<4>(src, sa);
                let r = round::<4>(&r, 1, 4);
                store(&round::<4>(&r, 2, 8), dst, tb);
            }
            _ => store(&round::<2>(&load::<2>(src, sa), 1, 8), dst, tb),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (src, sa, dst, tb, elem);
}

/// A block transposed in registers with unpack instructions: each round
/// interleaves pairs of rows in units twice as wide as the round before
/// (the element, then two elements, ... up to 8 bytes), which leaves
/// column k of the block in register k. Every call has constant
/// arguments, so the loops unroll and the rows stay in registers.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// # Safety
    /// `N` rows of 16 bytes, `stride` bytes apart from `src`, readable.
    #[inline(always)]
    pub(super) unsafe fn load<const N: usize>(src: *const u8, stride: usize) -> [__m128i; N] {
        std::array::from_fn(|k| _mm_loadu_si128(src.add(k * stride) as *const __m128i))
    }

    /// # Safety
    /// `N` rows of 16 bytes, `stride` bytes apart from `dst`, writable.
    #[inline(always)]
    pub(super) unsafe fn store<const N: usize>(rows: &[__m128i; N], dst: *mut u8, stride: usize) {
        for (k, row) in rows.iter().enumerate() {
            _mm_storeu_si128(dst.add(k * stride) as *mut __m128i, *row);
        }
    }

    /// One round: rows `apart` apart within groups of `2 * apart` are
    /// interleaved in units of `unit` bytes, the low halves' result
    /// first.
    #[inline(always)]
    pub(super) fn round<const N: usize>(
        r: &[__m128i; N],
        apart: usize,
        unit: usize,
    ) -> [__m128i; N] {
        std::array::from_fn(|k| {
            let (group, within) = (k / (2 * apart) * (2 * apart), k % (2 * apart));
            let (x, y) = (r[group + within / 2], r[group + within / 2 + apart]);
            // SAFETY: SSE2 is part of the x86_64 baseline.
            unsafe {
                match (unit, within % 2 == 0) {
                    (1, true) => _mm_unpacklo_epi8(x, y),
                    (1, false) => _mm_unpackhi_epi8(x, y),
                    (2, true) => _mm_unpacklo_epi16(x, y),
                    (2, false) => _mm_unpackhi_epi16(x, y),
                    (4, true) => _mm_unpacklo_epi32(x, y),
                    (4, false) => _mm_unpackhi_epi32(x, y),
                    (_, true) => _mm_unpacklo_epi64(x, y),
                    (_, false) => _mm_unpackhi_epi64(x, y),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element size, plane sizes around the block and tile sides,
    /// and padded strides, against the element-by-element definition.
    #[test]
    fn planes_equal_the_definition() {
        for elem in [1usize, 2, 3, 4, 8, 16] {
            for (na, nb) in [
                (1, 1),
                (1, 9),
                (7, 1),
                (16, 16),
                (17, 33),
                (64, 8),
                (130, 70),
            ] {
                let (sa, tb) = ((nb + 3) * elem, (na + 5) * elem);
                let src: Vec<u8> = (0..na * sa).map(|k| (k * 7 + k / 251) as u8).collect();
                let mut got = vec![0xEEu8; nb * tb];
                let mut want = got.clone();
                for i in 0..na {
                    for j in 0..nb {
                        let (s, d) = (i * sa + j * elem, i * elem + j * tb);
                        want[d..d + elem].copy_from_slice(&src[s..s + elem]);
                    }
                }
                // SAFETY: the planes lie inside the two vectors, which are
                // distinct.
                unsafe { copy_plane(src.as_ptr(), sa, got.as_mut_ptr(), tb, na, nb, elem) };
                assert!(got == want, "elem {elem}, {na} x {nb}");
            }
        }
    }
}
