//! The engine's error type. Each variant maps to one stable C status code
//! (see `ffi::status`), so the kind of failure survives the C boundary.

use std::fmt;

/// What went wrong, coarse enough to be a stable status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A caller-supplied argument is invalid (NULL, wrong ndim, bad strides).
    InvalidArgument,
    /// Metadata (`zarr.json`, codec configuration) is malformed or invalid.
    InvalidMetadata,
    /// A valid request that this build does not implement.
    Unsupported,
    /// A node or key does not exist.
    NotFound,
    /// The storage layer failed (file system error, host callback failure).
    Io,
    /// Stored bytes cannot be decoded (truncated, corrupt, bad shard index).
    Corrupt,
    /// A checksum (crc32c) did not match.
    Checksum,
    /// A region lies outside the array.
    OutOfBounds,
    /// A caller buffer is smaller than the data it must hold.
    BufferTooSmall,
    /// A node already exists where one was to be created.
    AlreadyExists,
    /// A bug: a panic caught at the boundary, or a broken invariant.
    Internal,
    /// Memory for a buffer the operation needs (e.g. one decoded chunk)
    /// could not be allocated.
    OutOfMemory,
}

/// An error with its kind and a human-readable message.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Prefix the message with context, keeping the kind.
    pub fn context(self, what: impl fmt::Display) -> Self {
        Error {
            kind: self.kind,
            message: format!("{what}: {}", self.message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::NotFound
        } else {
            ErrorKind::Io
        };
        Error::new(kind, e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

macro_rules! err_ctor {
    ($($name:ident => $kind:ident),* $(,)?) => {
        $(
            #[doc = concat!("An error of kind `", stringify!($kind), "`.")]
            pub fn $name(message: impl Into<String>) -> Error {
                Error::new(ErrorKind::$kind, message)
            }
        )*
    };
}

err_ctor! {
    invalid_argument => InvalidArgument,
    invalid_metadata => InvalidMetadata,
    unsupported => Unsupported,
    not_found => NotFound,
    io_error => Io,
    corrupt => Corrupt,
    checksum => Checksum,
    out_of_bounds => OutOfBounds,
    buffer_too_small => BufferTooSmall,
    already_exists => AlreadyExists,
    internal => Internal,
    out_of_memory => OutOfMemory,
}
