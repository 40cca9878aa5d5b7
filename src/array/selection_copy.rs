//! The copies of a selection: elements between a box (a C-order block of
//! the array, read or to be written) and the selection's buffer, paired
//! up dimension by dimension.
//!
//! A gather copies a few bytes per element, so the loop is what costs:
//! offsets are checked against both buffers once per box, and elements of
//! the common sizes are copied as constants (a load and a store each).

/// The byte offsets of one dimension's entries in a box and in the
/// selection's buffer, entry by entry.
#[derive(Debug, Default)]
pub(super) struct Offsets {
    pub(super) in_box: Vec<usize>,
    pub(super) in_sel: Vec<usize>,
}

/// The last dimension's copies within one row.
enum Row {
    /// `count` elements, the k-th at `box0 + k * box_step` in the box and
    /// `sel0 + k * sel_step` in the selection's buffer (a step selection).
    Strided {
        box0: usize,
        box_step: usize,
        sel0: usize,
        sel_step: usize,
        count: usize,
    },
    /// One element per entry.
    Elements(Offsets),
    /// Runs of entries adjacent in both buffers: (box offset, selection
    /// offset, bytes).
    Runs(Vec<(usize, usize, usize)>),
}

/// Every pair of places an element is copied between, as per-dimension
/// offsets (an element's offset is the sum of its entries' along every
/// dimension).
pub(super) struct Pairs {
    outer: Vec<Offsets>,
    row: Row,
    elem: usize,
    /// One past the last byte any pair reaches in the box and in the
    /// selection's buffer (0 when there is no pair).
    box_end: usize,
    sel_end: usize,
}

impl Pairs {
    /// The pairs of `dims` (one per dimension, C order), for elements of
    /// `elem` bytes.
    pub(super) fn new(mut dims: Vec<Offsets>, elem: usize) -> Pairs {
        let last = dims.pop().unwrap_or(Offsets {
            // No dimension: one element.
            in_box: vec![0],
            in_sel: vec![0],
        });
        let empty = last.in_box.is_empty() || dims.iter().any(|o| o.in_box.is_empty());
        let max = |v: &[usize]| v.iter().copied().max().unwrap_or(0);
        let (mut box_end, mut sel_end) = (0, 0);
        if !empty {
            // Saturating: an end past memory fails the check against the
            // buffers rather than wrapping past it.
            let end = |of: fn(&Offsets) -> &[usize]| {
                dims.iter()
                    .chain([&last])
                    .fold(elem, |n, o| n.saturating_add(max(of(o))))
            };
            box_end = end(|o| &o.in_box);
            sel_end = end(|o| &o.in_sel);
        }
        let adjacent = last
            .in_box
            .windows(2)
            .zip(last.in_sel.windows(2))
            .any(|(b, s)| b[1] == b[0] + elem && s[1] == s[0] + elem);
        let step = |v: &[usize]| match v {
            [a, b, ..] if b > a => Some(b - a),
            _ => None,
        };
        let arithmetic = |v: &[usize], d: usize| v.windows(2).all(|w| w[1] == w[0] + d);
        let strided = match (step(&last.in_box), step(&last.in_sel)) {
            (Some(db), Some(ds))
                if arithmetic(&last.in_box, db) && arithmetic(&last.in_sel, ds) =>
            {
                Some((db, ds))
            }
            _ => None,
        };
        let row = if let (Some((box_step, sel_step)), false) = (strided, adjacent) {
            Row::Strided {
                box0: last.in_box[0],
                box_step,
                sel0: last.in_sel[0],
                sel_step,
                count: last.in_box.len(),
            }
        } else if adjacent {
            let mut runs: Vec<(usize, usize, usize)> = Vec::new();
            for (&b, &s) in last.in_box.iter().zip(&last.in_sel) {
                match runs.last_mut() {
                    Some((rb, rs, len)) if *rb + *len == b && *rs + *len == s => *len += elem,
                    _ => runs.push((b, s, elem)),
                }
            }
            Row::Runs(runs)
        } else {
            Row::Elements(last)
        };
        Pairs {
            outer: if empty { Vec::new() } else { dims },
            row: if empty { Row::Runs(Vec::new()) } else { row },
            elem,
            box_end,
            sel_end,
        }
    }

    /// Copy every selected element of the box `from_box` to its place in
    /// the selection's buffer at `to` (`to_len` bytes).
    ///
    /// # Safety
    /// `to` is valid for writes of `to_len` bytes, and no other thread
    /// reads or writes the places these pairs name while the call runs.
    pub(super) unsafe fn gather(&self, from_box: &[u8], to: *mut u8, to_len: usize) {
        assert!(self.box_end <= from_box.len() && self.sel_end <= to_len);
        // SAFETY: every pair lies below the ends just checked; the caller
        // vouches for `to`.
        unsafe { self.copy_all(from_box.as_ptr(), to, |b, s| (b, s)) }
    }

    /// Copy every selected element from its place in the selection's
    /// buffer `from` to the box `to_box`.
    pub(super) fn scatter(&self, from: &[u8], to_box: &mut [u8]) {
        assert!(self.box_end <= to_box.len() && self.sel_end <= from.len());
        // SAFETY: every pair lies below the ends just checked, in two
        // distinct buffers (one borrowed shared, one exclusively).
        unsafe { self.copy_all(from.as_ptr(), to_box.as_mut_ptr(), |b, s| (s, b)) }
    }

    /// Copy every pair from `src` to `dst`, `order(box, sel)` giving
    /// (source offset, destination offset).
    ///
    /// # Safety
    /// Every pair's bytes lie inside both buffers, which do not overlap.
    unsafe fn copy_all(
        &self,
        src: *const u8,
        dst: *mut u8,
        order: impl Fn(usize, usize) -> (usize, usize) + Copy,
    ) {
        macro_rules! sized {
            ($($n:literal)*) => {
                match self.elem {
                    $($n => self.rows(|b, s| unsafe {
                        // SAFETY: in bounds by the caller's contract.
                        self.copy_row::<$n>(src, dst, b, s, order)
                    }),)*
                    _ => self.rows(|b, s| unsafe { self.copy_row::<0>(src, dst, b, s, order) }),
                }
            };
        }
        sized!(1 2 4 8 16)
    }

    /// Call `row(box base, selection base)` for every row, C order.
    fn rows(&self, mut row: impl FnMut(usize, usize)) {
        if self.box_end == 0 {
            return;
        }
        let mut at = vec![0usize; self.outer.len()];
        loop {
            let (mut b, mut s) = (0, 0);
            for (o, &k) in self.outer.iter().zip(&at) {
                b += o.in_box[k];
                s += o.in_sel[k];
            }
            row(b, s);
            let mut d = self.outer.len();
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                at[d] += 1;
                if at[d] < self.outer[d].in_box.len() {
                    break;
                }
                at[d] = 0;
            }
        }
    }

    /// Copy one row's elements, `E` bytes each (0: `self.elem`, not known
    /// at compile time).
    ///
    /// # Safety
    /// As `copy_all`.
    #[inline(always)]
    unsafe fn copy_row<const E: usize>(
        &self,
        src: *const u8,
        dst: *mut u8,
        b: usize,
        s: usize,
        order: impl Fn(usize, usize) -> (usize, usize),
    ) {
        let len = if E == 0 { self.elem } else { E };
        match &self.row {
            &Row::Strided {
                box0,
                box_step,
                sel0,
                sel_step,
                count,
            } => {
                for k in 0..count {
                    let (from, to) = order(b + box0 + k * box_step, s + sel0 + k * sel_step);
                    // SAFETY: in bounds and not overlapping (the contract):
                    // the k-th element is an entry's, below the ends.
                    unsafe { std::ptr::copy_nonoverlapping(src.add(from), dst.add(to), len) };
                }
            }
            Row::Elements(o) => {
                for (&ob, &os) in o.in_box.iter().zip(&o.in_sel) {
                    let (from, to) = order(b + ob, s + os);
                    // SAFETY: in bounds and not overlapping (the contract).
                    unsafe { std::ptr::copy_nonoverlapping(src.add(from), dst.add(to), len) };
                }
            }
            Row::Runs(runs) => {
                for &(ob, os, n) in runs {
                    let (from, to) = order(b + ob, s + os);
                    // SAFETY: as above.
                    unsafe { std::ptr::copy_nonoverlapping(src.add(from), dst.add(to), n) };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(in_box: &[usize], in_sel: &[usize]) -> Offsets {
        Offsets {
            in_box: in_box.to_vec(),
            in_sel: in_sel.to_vec(),
        }
    }

    #[test]
    fn gathers_and_scatters_every_pair_at_every_element_size() {
        for elem in [1usize, 2, 3, 4, 8, 16] {
            // A 3 x 4 box; rows 2 and 0, columns 1, 2, 3 and 1 again (the
            // last two adjacent in both), into a 2 x 4 selection.
            let dims = || {
                vec![
                    offsets(&[2 * 4 * elem, 0], &[0, 4 * elem]),
                    offsets(
                        &[elem, 2 * elem, 3 * elem, elem],
                        &[0, elem, 2 * elem, 3 * elem],
                    ),
                ]
            };
            let boxed: Vec<u8> = (0..12 * elem).map(|i| i as u8).collect();
            let mut sel = vec![0xEEu8; 8 * elem + 5];
            let pairs = Pairs::new(dims(), elem);
            // SAFETY: `sel` is this thread's and long enough (checked).
            unsafe { pairs.gather(&boxed, sel.as_mut_ptr(), sel.len()) };
            let element = |i: usize| &boxed[i * elem..(i + 1) * elem];
            let want: Vec<u8> = [9, 10, 11, 9, 1, 2, 3, 1]
                .iter()
                .flat_map(|&i| element(i).to_vec())
                .collect();
            assert_eq!(&sel[..8 * elem], &want[..], "elem {elem}");
            assert!(sel[8 * elem..].iter().all(|&b| b == 0xEE));
            let mut back = vec![0u8; 12 * elem];
            Pairs::new(dims(), elem).scatter(&sel, &mut back);
            for i in [1usize, 2, 3, 9, 10, 11] {
                assert_eq!(&back[i * elem..(i + 1) * elem], element(i));
            }
            assert!(back[..elem].iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn a_row_of_steps_copies_the_same_elements_as_its_entries() {
        // Every third element of a row of 12, into every second place.
        let dims = vec![
            offsets(&[0, 12], &[0, 1]),
            offsets(&[0, 3, 6, 9], &[0, 2, 4, 6]),
        ];
        let boxed: Vec<u8> = (0..24).collect();
        let mut sel = [0u8; 9];
        // SAFETY: `sel` is this thread's and long enough (checked).
        unsafe { Pairs::new(dims, 1).gather(&boxed, sel.as_mut_ptr(), sel.len()) };
        assert_eq!(sel, [0, 12, 3, 15, 6, 18, 9, 21, 0]);
    }

    #[test]
    fn no_dimension_is_one_element_and_an_empty_one_none() {
        let mut sel = [0u8; 4];
        // SAFETY: `sel` is this thread's and long enough (checked).
        unsafe { Pairs::new(vec![], 4).gather(&[1, 2, 3, 4], sel.as_mut_ptr(), 4) };
        assert_eq!(sel, [1, 2, 3, 4]);
        let empty = Pairs::new(vec![offsets(&[], &[]), offsets(&[0], &[0])], 4);
        // SAFETY: no pair: nothing is written.
        unsafe { empty.gather(&[], std::ptr::null_mut(), 0) };
    }

    #[test]
    #[should_panic]
    fn a_pair_past_the_buffer_is_refused_before_any_copy() {
        let pairs = Pairs::new(vec![offsets(&[0, 8], &[0, 4])], 4);
        let mut sel = [0u8; 8];
        // SAFETY: `sel` is this thread's; the box is too short, refused.
        unsafe { pairs.gather(&[0; 8], sel.as_mut_ptr(), 8) };
    }
}
