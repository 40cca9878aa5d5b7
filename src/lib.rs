//! zarrio: a Zarr v3 engine with a C ABI.
//!
//! Layers, top to bottom: the C ABI ([`ffi`]), arrays and groups
//! ([`array`], [`group`]), the codec pipeline ([`codec`]) and stores
//! ([`store`]). Each layer only calls the one below it; the Rust API is
//! complete on its own.

pub mod alloc;
pub mod array;
pub mod codec;
pub mod consolidated;
pub mod dtype;
pub mod error;
pub mod ffi;
mod fork_held;
pub mod group;
pub mod metadata;
pub mod node;
mod nontemporal;
pub mod pages;
pub mod region;
pub mod scratch;
pub mod store;
// Crate-private: its buffer types trust layouts the engine has validated
// (`Layout::new`, checked regions), and would write out of bounds for
// others.
pub(crate) mod strided;
pub mod threads;
pub mod time_unit;
mod transposed;

pub use array::Array;
pub use codec::{ChunkRepr, CodecChain};
pub use consolidated::ConsolidatedStore;
pub use dtype::DataType;
pub use error::{Error, ErrorKind, Result};
pub use group::{Group, NodeType};
pub use store::{
    ByteRange, FilesystemStore, MemoryStore, N5Store, Store, StoreRef, ZipStore, ZipWriteStore,
};

/// The library version, e.g. "0.1.0".
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
