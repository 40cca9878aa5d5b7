//! Arrays: metadata plus the read and write paths over a store.

mod read;
mod rectilinear;
mod resize;
mod selection;
mod selection_copy;
mod shard_rows;
mod string_selection;
mod strings;
mod write;

pub(crate) use read::{read_shard_region, ShardRead};
pub use selection::DimSelection;

use crate::codec::{ChunkRepr, CodecChain};
use crate::dtype::DataType;
use crate::error::{invalid_argument, not_found, out_of_bounds, unsupported, Result};
use crate::metadata::{check_stored_as_given, pretty, v2, ArrayMetadata, Attributes};
use crate::node::{
    create_parent_groups, erase_node, metadata_key, missing_parent_groups, normalize_path,
    update_metadata,
};
use crate::store::{join_key, StoreRef};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// A Zarr v3 (or v2) array in a store.
///
/// Reads may run from many threads at once. Writes to disjoint chunks may
/// too; writes to the same chunk from two threads race (last one wins).
#[derive(Debug)]
pub struct Array {
    store: StoreRef,
    path: String,
    meta: ArrayMetadata,
    attributes: RwLock<Attributes>,
    /// Held by `set_attributes` while it writes `zarr.json`, so that
    /// writers follow one another while readers of `attributes` (a store
    /// callback among them) are never blocked on the store.
    attributes_writer: Mutex<()>,
    /// 0 = the library default.
    threads: AtomicUsize,
    /// Store requests in flight during a read (0 = the library default).
    io_concurrency: AtomicUsize,
    /// Added to chunk indices to make keys: a view of one chunk of a
    /// rectilinear array has chunk 0 where the array has this one. Empty
    /// otherwise.
    chunk_offset: Vec<u64>,
    /// A rectilinear array's codec pipelines, one per chunk shape met.
    chains: Mutex<std::collections::HashMap<Vec<u64>, Arc<CodecChain>>>,
}

impl Array {
    /// Create an array from `zarr.json` text, or a Zarr v2 array from
    /// `.zarray` text (`"zarr_format": 2`), replacing any node at `path`
    /// (and what lies below it); ancestors that are not nodes become
    /// groups of the same format, as zarr-python makes them.
    pub fn create(store: StoreRef, path: &str, zarr_json: &str) -> Result<Array> {
        let path = normalize_path(path)?;
        if v2::is_v2_document(zarr_json.as_bytes()) {
            return Array::create_v2(store, path, zarr_json);
        }
        check_stored_as_given(zarr_json.as_bytes(), true, "zarr.json")?;
        let meta = ArrayMetadata::parse(zarr_json.as_bytes())?;
        crate::codec::check_settings_for_writing(&meta.codecs.to_json())?;
        let parents = missing_parent_groups(store.as_ref(), &path)?;
        let text = meta.to_string_pretty();
        store.check_metadata(&metadata_key(&path), text.as_bytes())?;
        // Replace an existing node, v3 or v2: remove its chunks or
        // children.
        erase_node(store.as_ref(), &path)?;
        store.set(&metadata_key(&path), text.as_bytes())?;
        create_parent_groups(store.as_ref(), &parents, false)?;
        Ok(Array::from_parts(store, path, meta))
    }

    /// `create` of a Zarr v2 array: its `.zarray` (which must hold every
    /// member the v2 specification requires) and an empty `.zattrs`, as
    /// zarr-python writes them.
    fn create_v2(store: StoreRef, path: String, zarray: &str) -> Result<Array> {
        check_stored_as_given(zarray.as_bytes(), false, ".zarray")?;
        let (text, meta) = v2::zarray_to_write(zarray.as_bytes())?;
        crate::codec::check_settings_for_writing(&meta.codecs.to_json())?;
        let parents = missing_parent_groups(store.as_ref(), &path)?;
        store.check_metadata(&join_key(&path, ".zarray"), text.as_bytes())?;
        erase_node(store.as_ref(), &path)?;
        store.set(&join_key(&path, ".zarray"), text.as_bytes())?;
        store.set(&join_key(&path, ".zattrs"), b"{}")?;
        create_parent_groups(store.as_ref(), &parents, true)?;
        Ok(Array::from_parts(store, path, meta))
    }

    /// Open the array at `path`: its `zarr.json`, or else a Zarr v2
    /// array's `.zarray` (and `.zattrs`).
    pub fn open(store: StoreRef, path: &str) -> Result<Array> {
        let path = normalize_path(path)?;
        let meta = match store.get(&metadata_key(&path))? {
            Some(text) => ArrayMetadata::parse(&text),
            None => {
                let zarray = store.get(&join_key(&path, ".zarray"))?.ok_or_else(|| {
                    not_found(format!("no zarr.json (nor v2 .zarray) at \"{path}\""))
                })?;
                let zattrs = store.get(&join_key(&path, ".zattrs"))?;
                v2::array_from_zarray(&zarray, zattrs.as_deref())
            }
        }
        .map_err(|e| e.context(format!("array \"{path}\"")))?;
        Ok(Array::from_parts(store, path, meta))
    }

    /// Whether this is a Zarr v2 array.
    pub fn is_v2(&self) -> bool {
        self.meta.v2.is_some()
    }

    /// An error for a fixed-size read or write of an array whose elements
    /// have no fixed size (`Array::read_strings` / `write_strings` take
    /// those).
    fn check_fixed_size(&self) -> Result<()> {
        if self.data_type().is_variable_length() {
            return Err(unsupported(format!(
                "array \"{}\" holds variable-length {} elements: read and write them with \
                 zarrio_array_read_strings / zarrio_array_write_strings",
                self.path,
                self.data_type().name()
            )));
        }
        Ok(())
    }

    fn from_parts(store: StoreRef, path: String, meta: ArrayMetadata) -> Array {
        let attributes = RwLock::new(meta.attributes.clone());
        Array {
            store,
            path,
            meta,
            attributes,
            attributes_writer: Mutex::new(()),
            threads: AtomicUsize::new(0),
            io_concurrency: AtomicUsize::new(0),
            chunk_offset: Vec::new(),
            chains: Mutex::new(Default::default()),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn store(&self) -> &StoreRef {
        &self.store
    }

    pub fn shape(&self) -> &[u64] {
        &self.meta.shape
    }

    pub fn ndim(&self) -> usize {
        self.meta.shape.len()
    }

    pub fn data_type(&self) -> &DataType {
        &self.meta.data_type
    }

    /// The chunk (shard) shape of the grid.
    pub fn chunk_shape(&self) -> &[u64] {
        &self.meta.chunk_shape
    }

    /// The inner chunk shape of a sharded array, else the chunk shape: the
    /// smallest unit a read decodes.
    pub fn inner_chunk_shape(&self) -> &[u64] {
        match self.meta.codecs.sharding_inner_grid() {
            Some(s) => s.chunk_shape(),
            None => &self.meta.chunk_shape,
        }
    }

    /// The fill value: one element in native byte order.
    pub fn fill_value(&self) -> &[u8] {
        &self.meta.fill_value
    }

    /// The codec pipeline of one chunk.
    pub fn codecs(&self) -> &Arc<CodecChain> {
        &self.meta.codecs
    }

    pub fn chunk_repr(&self) -> ChunkRepr {
        self.meta.chunk_repr()
    }

    /// `metadata` as pretty-printed text, the attributes as
    /// `attributes_json` gives them (integers exact).
    pub fn metadata_json(&self) -> String {
        let text = pretty(&self.metadata());
        match self.is_v2() {
            true => text,
            false => self.attributes_read().shown_in(text),
        }
    }

    /// The current metadata document: `zarr.json`, or a v2 array's
    /// `.zarray`.
    pub fn metadata(&self) -> Value {
        let mut m = self.meta.clone();
        m.attributes = self.attributes_read().clone();
        m.to_json()
    }

    fn attributes_read(&self) -> std::sync::RwLockReadGuard<'_, Attributes> {
        self.attributes.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn attributes(&self) -> Map<String, Value> {
        self.attributes_read().map().clone()
    }

    /// The attributes as JSON object text: numbers and strings as they
    /// are stored (integers of any size, lone surrogate escapes), Python's
    /// bare `NaN` and `Infinity` as the strings "NaN" and "Infinity".
    pub fn attributes_json(&self) -> String {
        self.attributes_read().json()
    }

    /// Replace the attributes in the stored `zarr.json` (the rest of it
    /// as stored, a shape another handle set included); a v2 array's
    /// `.zattrs`.
    pub fn set_attributes(&self, attributes: Map<String, Value>) -> Result<()> {
        self.store_attributes(Attributes::from_map(attributes))
    }

    /// `set_attributes` from JSON object text, stored as it is given
    /// (integers of any size, lone surrogate escapes, Python's bare `NaN`
    /// and `Infinity`).
    pub fn set_attributes_json(&self, text: &str) -> Result<()> {
        self.store_attributes(Attributes::parse(text.as_bytes(), "attributes")?)
    }

    fn store_attributes(&self, attributes: Attributes) -> Result<()> {
        let _writer = self
            .attributes_writer
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if self.is_v2() {
            self.store.set(
                &join_key(&self.path, ".zattrs"),
                attributes.text().as_bytes(),
            )?;
            *self.attributes.write().unwrap_or_else(|e| e.into_inner()) = attributes;
            return Ok(());
        }
        let stored = update_metadata(
            self.store.as_ref(),
            &self.path,
            "attributes",
            &attributes.text(),
            ArrayMetadata::parse,
        )?;
        *self.attributes.write().unwrap_or_else(|e| e.into_inner()) = stored.attributes;
        Ok(())
    }

    /// Threads for this array's reads and writes (0 = library default,
    /// 1 = the calling thread only).
    pub fn set_threads(&self, n: usize) {
        self.threads.store(n, Ordering::Relaxed);
    }

    pub fn threads(&self) -> usize {
        self.threads.load(Ordering::Relaxed)
    }

    /// How many store requests a read keeps in flight (0 = the library
    /// default; when larger than the thread count, extra workers wait on
    /// I/O while decoding stays on `threads` of them).
    pub fn set_io_concurrency(&self, n: usize) {
        self.io_concurrency.store(n, Ordering::Relaxed);
    }

    pub fn io_concurrency(&self) -> usize {
        self.io_concurrency.load(Ordering::Relaxed)
    }

    /// The number of chunks along each dimension.
    pub fn grid_shape(&self) -> Vec<u64> {
        self.meta.grid_shape()
    }

    /// The store key of a chunk.
    pub fn chunk_key(&self, indices: &[u64]) -> String {
        if self.chunk_offset.is_empty() {
            return join_key(&self.path, &self.meta.chunk_key_encoding.key(indices));
        }
        let at: Vec<u64> = indices
            .iter()
            .zip(&self.chunk_offset)
            .map(|(i, o)| i + o)
            .collect();
        join_key(&self.path, &self.meta.chunk_key_encoding.key(&at))
    }

    /// Whether chunks differ in shape (a `rectilinear` chunk grid): reads
    /// and writes then go chunk by chunk through a view of each.
    pub fn is_rectilinear(&self) -> bool {
        self.meta.rectilinear.is_some()
    }

    fn check_chunk_indices(&self, indices: &[u64]) -> Result<()> {
        if indices.len() != self.ndim() {
            return Err(invalid_argument(format!(
                "{} chunk indices given, the array has {} dimensions",
                indices.len(),
                self.ndim()
            )));
        }
        let grid = self.grid_shape();
        if indices.iter().zip(&grid).any(|(i, g)| i >= g) {
            return Err(out_of_bounds(format!(
                "chunk {indices:?} is outside the chunk grid {grid:?}"
            )));
        }
        Ok(())
    }

    /// The in-bounds extent of a chunk (edge chunks are clipped).
    fn chunk_extent(&self, indices: &[u64]) -> Vec<u64> {
        (0..self.ndim())
            .map(|d| {
                let origin = indices[d] * self.meta.chunk_shape[d];
                self.meta.chunk_shape[d].min(self.meta.shape[d] - origin)
            })
            .collect()
    }

    fn elem(&self) -> usize {
        self.meta.data_type.size()
    }
}
