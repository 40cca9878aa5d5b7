//! array->array codecs that change only the shape the codecs after them
//! see, never the order of the elements (C order stays C order):
//! - `reshape` (zarr-extensions, `{"shape": [...]}`): each output
//!   dimension is a size, a list of input dimensions whose sizes multiply
//!   to it, or `-1` (at most once) for whatever the element count leaves;
//! - `zarrs.squeeze` (`{}`): the input without its dimensions of size 1
//!   (`[1]` if that leaves none);
//! - `singleton_dim` (zarr-extensions, `{"operations": [{"insert": i} |
//!   {"remove": i}, ...]}`): dimensions of size 1 inserted or removed,
//!   in turn, each index into the shape as the operations before left it.
//!
//! Encoding and decoding copy the bytes as they are; a `transpose` or a
//! `sharding_indexed` after them works on the new shape.

use super::{codec_json, ArrayToArrayCodec, ChunkRepr, CodecSpec};
use crate::error::{invalid_metadata, Result};
use serde_json::{json, Value};

pub const RESHAPE: &str = "reshape";
pub const SQUEEZE: &str = "zarrs.squeeze";
pub const SINGLETON_DIM: &str = "singleton_dim";

/// One output dimension of `reshape`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dim {
    Size(u64),
    /// The product of these input dimensions' sizes.
    Inputs(Vec<usize>),
    /// What the element count leaves (`-1`).
    Rest,
}

/// One operation of `singleton_dim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Singleton {
    /// A dimension of size 1 inserted at this index.
    Insert(usize),
    /// The dimension at this index, of size 1, removed.
    Remove(usize),
}

impl Singleton {
    fn to_json(self) -> Value {
        match self {
            Singleton::Insert(i) => json!({ "insert": i }),
            Singleton::Remove(i) => json!({ "remove": i }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Reshape(Vec<Dim>),
    Squeeze,
    SingletonDim(Vec<Singleton>),
}

/// `reshape`, `zarrs.squeeze` or `singleton_dim`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reshape {
    kind: Kind,
}

fn bad(msg: String) -> crate::error::Error {
    invalid_metadata(format!("codec \"{RESHAPE}\": {msg}"))
}

impl Reshape {
    pub fn from_spec(spec: &CodecSpec) -> Result<Self> {
        if spec.name == SQUEEZE {
            spec.check_keys(&[])?;
            return Ok(Reshape {
                kind: Kind::Squeeze,
            });
        }
        if spec.name == SINGLETON_DIM {
            return Ok(Reshape {
                kind: Kind::SingletonDim(singleton_ops(spec)?),
            });
        }
        spec.check_keys(&["shape"])?;
        let list = spec
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("\"shape\" must be a list".into()))?;
        let mut dims = Vec::with_capacity(list.len());
        // Input dimensions must come in increasing order across the list.
        let mut next_input = 0usize;
        for v in list {
            let dim = match v {
                Value::Number(n) if n.as_i64() == Some(-1) => {
                    if dims.contains(&Dim::Rest) {
                        return Err(bad("\"shape\" has -1 more than once".into()));
                    }
                    Dim::Rest
                }
                Value::Number(n) => match n.as_u64() {
                    Some(s) if s > 0 => Dim::Size(s),
                    _ => return Err(bad(format!("{n} is not a size"))),
                },
                Value::Array(inputs) => {
                    let mut list = Vec::with_capacity(inputs.len());
                    for d in inputs {
                        let d = d
                            .as_u64()
                            .and_then(|d| usize::try_from(d).ok())
                            .ok_or_else(|| bad(format!("{d} is not a dimension")))?;
                        if d < next_input {
                            return Err(bad(format!(
                                "input dimension {d} comes after a later one in \"shape\""
                            )));
                        }
                        next_input = d
                            .checked_add(1)
                            .ok_or_else(|| bad(format!("{d} is not a dimension")))?;
                        list.push(d);
                    }
                    Dim::Inputs(list)
                }
                _ => return Err(bad(format!("{v} is not a size, a list or -1"))),
            };
            dims.push(dim);
        }
        if dims.is_empty() {
            return Err(bad("\"shape\" is empty".into()));
        }
        Ok(Reshape {
            kind: Kind::Reshape(dims),
        })
    }

    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Reshape(_) => RESHAPE,
            Kind::Squeeze => SQUEEZE,
            Kind::SingletonDim(_) => SINGLETON_DIM,
        }
    }

    /// The output shape for an input of shape `a`.
    fn output_shape(&self, a: &[u64]) -> Result<Vec<u64>> {
        let dims = match &self.kind {
            Kind::Squeeze => {
                let b: Vec<u64> = a.iter().copied().filter(|&d| d != 1).collect();
                return Ok(if b.is_empty() { vec![1] } else { b });
            }
            Kind::SingletonDim(ops) => return singleton_shape(ops, a),
            Kind::Reshape(dims) => dims,
        };
        let product = |s: &[u64]| s.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        let total =
            product(a).ok_or_else(|| bad(format!("a chunk of shape {a:?} is too large")))?;
        let mut b = Vec::with_capacity(dims.len());
        for dim in dims {
            b.push(match dim {
                Dim::Size(s) => *s,
                Dim::Inputs(inputs) => {
                    let mut p = 1u64;
                    for &d in inputs {
                        let size = a.get(d).ok_or_else(|| {
                            bad(format!(
                                "input dimension {d} of a {}-dimensional chunk",
                                a.len()
                            ))
                        })?;
                        // Distinct dimensions: at most `total`.
                        p = p.checked_mul(*size).ok_or_else(|| bad("overflow".into()))?;
                    }
                    p
                }
                Dim::Rest => 0, // filled in below
            });
        }
        let known = product(&b.iter().map(|&d| d.max(1)).collect::<Vec<_>>());
        let rest = dims.iter().position(|d| *d == Dim::Rest);
        match (known, rest) {
            (Some(k), Some(i)) if total % k == 0 => b[i] = total / k,
            (Some(k), None) if k == total => {}
            _ => {
                return Err(bad(format!(
                    "{} does not reshape a chunk of shape {a:?}",
                    self.to_json()["configuration"]["shape"]
                )))
            }
        }
        // A dimension given as input dimensions must be exactly those:
        // what comes before and after it must match on both sides.
        for (i, dim) in dims.iter().enumerate() {
            if let Dim::Inputs(inputs) = dim {
                let (Some(&first), Some(&last)) = (inputs.first(), inputs.last()) else {
                    continue;
                };
                if product(&b[..i]) != product(&a[..first])
                    || product(&b[i + 1..]) != product(&a[last + 1..])
                {
                    return Err(bad(format!(
                        "output dimension {i} of {b:?} is not input dimensions {inputs:?} of {a:?}"
                    )));
                }
            }
        }
        Ok(b)
    }
}

impl ArrayToArrayCodec for Reshape {
    fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Squeeze => codec_json(SQUEEZE, json!({})),
            Kind::SingletonDim(ops) => {
                let ops: Vec<Value> = ops.iter().map(|op| op.to_json()).collect();
                codec_json(SINGLETON_DIM, json!({ "operations": ops }))
            }
            Kind::Reshape(dims) => {
                let shape: Vec<Value> = dims
                    .iter()
                    .map(|d| match d {
                        Dim::Size(s) => json!(s),
                        Dim::Inputs(inputs) => json!(inputs),
                        Dim::Rest => json!(-1),
                    })
                    .collect();
                codec_json(RESHAPE, json!({ "shape": shape }))
            }
        }
    }

    fn reshapes(&self) -> bool {
        true
    }

    fn encoded_repr(&self, decoded: &ChunkRepr) -> Result<ChunkRepr> {
        Ok(ChunkRepr {
            shape: self.output_shape(&decoded.shape)?,
            ..decoded.clone()
        })
    }

    fn encode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check_len(data, decoded)?;
        crate::alloc::copied(data)
    }

    fn decode(&self, data: &[u8], decoded: &ChunkRepr) -> Result<Vec<u8>> {
        self.check_len(data, decoded)?;
        crate::alloc::copied(data)
    }

    fn decode_into(&self, data: &[u8], decoded: &ChunkRepr, out: &mut [u8]) -> Result<()> {
        self.check_len(data, decoded)?;
        super::copy_decoded(self.name(), data, out)
    }
}

/// The operations of a `singleton_dim` codec.
fn singleton_ops(spec: &CodecSpec) -> Result<Vec<Singleton>> {
    let bad = |msg: String| invalid_metadata(format!("codec \"{SINGLETON_DIM}\": {msg}"));
    spec.check_keys(&["operations"])?;
    let list = spec
        .get("operations")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("\"operations\" must be a list".into()))?;
    list.iter()
        .map(|op| {
            let entry = op
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.iter().next());
            let index = |v: &Value| v.as_u64().and_then(|i| usize::try_from(i).ok());
            match entry {
                Some((k, v)) if k == "insert" => index(v).map(Singleton::Insert),
                Some((k, v)) if k == "remove" => index(v).map(Singleton::Remove),
                _ => None,
            }
            .ok_or_else(|| {
                bad(format!(
                    "operation {op} is not {{\"insert\": index}} or {{\"remove\": index}}"
                ))
            })
        })
        .collect()
}

/// The shape `singleton_dim`'s operations make of `a`.
fn singleton_shape(ops: &[Singleton], a: &[u64]) -> Result<Vec<u64>> {
    let mut b = a.to_vec();
    for op in ops {
        match *op {
            Singleton::Insert(i) if i <= b.len() => b.insert(i, 1),
            Singleton::Remove(i) if b.get(i) == Some(&1) => {
                b.remove(i);
            }
            _ => {
                let op = op.to_json();
                return Err(invalid_metadata(format!(
                    "codec \"{SINGLETON_DIM}\": operation {op} does not apply to shape {b:?} \
                     (the chunk shape {a:?} after the operations before it)"
                )));
            }
        }
    }
    Ok(b)
}

impl Reshape {
    fn check_len(&self, data: &[u8], decoded: &ChunkRepr) -> Result<()> {
        super::check_elements(self.name(), data, decoded, &decoded.dtype).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DataType;
    use crate::error::ErrorKind;

    fn shape_of(name: &str, cfg: Value, a: &[u64]) -> Result<Vec<u64>> {
        let spec = CodecSpec::from_json(&json!({"name": name, "configuration": cfg})).unwrap();
        let c = Reshape::from_spec(&spec)?;
        let repr = ChunkRepr::new(a.to_vec(), DataType::UInt8, vec![0]);
        Ok(c.encoded_repr(&repr)?.shape)
    }

    #[test]
    fn shapes() {
        let r = |cfg: Value, a: &[u64]| shape_of(RESHAPE, json!({ "shape": cfg }), a);
        assert_eq!(
            r(json!([[0, 1], 10, [3, 4]]), &[2, 3, 10, 4, 5]).unwrap(),
            [6, 10, 20]
        );
        assert_eq!(
            r(json!([[0, 1], [2], 3]), &[100, 50, 64, 3]).unwrap(),
            [5000, 64, 3]
        );
        assert_eq!(r(json!([[0], -1, [3]]), &[2, 3, 4, 5]).unwrap(), [2, 12, 5]);
        assert_eq!(r(json!([-1]), &[2, 3, 4]).unwrap(), [24]);
        assert_eq!(r(json!([3, 4, 5]), &[6, 10]).unwrap(), [3, 4, 5]);
        assert_eq!(r(json!([[], -1]), &[6, 10]).unwrap(), [1, 60]);
        let squeeze = |a: &[u64]| shape_of(SQUEEZE, json!({}), a).unwrap();
        assert_eq!(squeeze(&[1, 6, 1, 4]), [6, 4]);
        assert_eq!(squeeze(&[1, 1]), [1]);
        let ops = |ops: Value, a: &[u64]| shape_of(SINGLETON_DIM, json!({ "operations": ops }), a);
        // The specification's example: insert at 0, then remove what
        // was dimension 2.
        assert_eq!(
            ops(json!([{"insert": 0}, {"remove": 3}]), &[4, 5, 1, 6]).unwrap(),
            [1, 4, 5, 6]
        );
        assert_eq!(ops(json!([{"insert": 2}]), &[4, 5]).unwrap(), [4, 5, 1]);
        assert_eq!(
            ops(json!([{"remove": 0}]), &[1]).unwrap(),
            Vec::<u64>::new()
        );
        assert_eq!(ops(json!([]), &[3, 1]).unwrap(), [3, 1]);
        assert_eq!(
            ops(json!([{"remove": 1}, {"insert": 0}]), &[3, 1]).unwrap(),
            [1, 3]
        );
    }

    #[test]
    fn refusals() {
        let r = |cfg: Value, a: &[u64]| shape_of(RESHAPE, json!({ "shape": cfg }), a);
        for (cfg, a) in [
            (json!([[1], [0]]), vec![2, 3]),
            (json!([[1, 0], 10, [3, 4]]), vec![2, 3, 10, 4, 5]),
            (json!([-1, -1]), vec![4]),
            (json!([0, -1]), vec![4]),
            (json!([5]), vec![2, 3]),
            (json!([4, -1]), vec![2, 3]),
            (json!([[0, 2]]), vec![2, 3]),
            // [2] is not input dimension 1 of [4, 6]: what comes before differs.
            (json!([2, [1], 2]), vec![4, 6]),
            (json!([]), vec![4]),
            (json!("x"), vec![4]),
            (json!([1.5]), vec![4]),
        ] {
            let e = r(cfg.clone(), &a).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg} {a:?}");
        }
        let e = shape_of(SQUEEZE, json!({"axes": [0]}), &[1, 2]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidMetadata);
        for (cfg, a) in [
            (json!({"operations": [{"insert": 3}]}), vec![2, 3]),
            (json!({"operations": [{"remove": 2}]}), vec![2, 3]),
            (json!({"operations": [{"remove": 0}]}), vec![2, 1]),
            (
                json!({"operations": [{"insert": 0, "remove": 1}]}),
                vec![2, 1],
            ),
            (json!({"operations": [{"squeeze": 0}]}), vec![1]),
            (json!({"operations": [{"insert": -1}]}), vec![1]),
            (json!({"operations": {"insert": 0}}), vec![1]),
            (json!({}), vec![1]),
            (json!({"operations": [], "x": 1}), vec![1]),
        ] {
            let e = shape_of(SINGLETON_DIM, cfg.clone(), &a).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidMetadata, "{cfg} {a:?}");
        }
        // The configuration as given comes back.
        let cfg = json!({"operations": [{"insert": 0}, {"remove": 3}]});
        let spec =
            CodecSpec::from_json(&json!({"name": SINGLETON_DIM, "configuration": cfg})).unwrap();
        assert_eq!(
            Reshape::from_spec(&spec).unwrap().to_json()["configuration"],
            cfg
        );
    }
}
