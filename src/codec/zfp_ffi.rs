//! The few functions of the zfp C library (`zfp.h`, zfp 1.0) that the
//! zfp codecs (`numcodecs.zfpy`, zarrs' `zfp`) call, declared by hand: streams, fields and
//! headers are opaque pointers handed back and forth, and every argument
//! is a pointer, a size or a plain number. The library is the zfp-sys
//! crate's, built from its bundled source and linked in statically with
//! the cargo feature `zfp`.

// zfp-sys builds and links the library; its own bindings go unused.
extern crate zfp_sys as _;

use std::os::raw::{c_double, c_int, c_uint, c_void};

#[repr(C)]
pub(crate) struct ZfpStream {
    _private: [u8; 0],
}

#[repr(C)]
pub(crate) struct ZfpField {
    _private: [u8; 0],
}

#[repr(C)]
pub(crate) struct Bitstream {
    _private: [u8; 0],
}

/// `ZFP_HEADER_FULL`: magic, field metadata and compression mode.
pub(crate) const HEADER_FULL: c_uint = 0x7;
/// `ZFP_HEADER_MAX_BITS`.
pub(crate) const HEADER_MAX_BITS: usize = 148;
/// `ZFP_MIN_BITS`, `ZFP_MAX_BITS`, `ZFP_MAX_PREC`.
pub(crate) const MIN_BITS: c_uint = 1;
pub(crate) const MAX_BITS: c_uint = 16658;
pub(crate) const MAX_PREC: c_uint = 64;
/// `ZFP_MIN_EXP`.
pub(crate) const MIN_EXP: c_int = -1074;
/// `zfp_mode`: the modes whose parameters zfp sets itself.
pub(crate) const MODE_EXPERT: c_int = 1;
pub(crate) const MODE_FIXED_RATE: c_int = 2;
pub(crate) const MODE_FIXED_PRECISION: c_int = 3;
pub(crate) const MODE_FIXED_ACCURACY: c_int = 4;
pub(crate) const MODE_REVERSIBLE: c_int = 5;

extern "C" {

    pub(crate) fn stream_open(buffer: *mut c_void, bytes: usize) -> *mut Bitstream;
    pub(crate) fn stream_close(stream: *mut Bitstream);

    pub(crate) fn zfp_stream_open(stream: *mut Bitstream) -> *mut ZfpStream;
    pub(crate) fn zfp_stream_close(stream: *mut ZfpStream);
    pub(crate) fn zfp_stream_set_bit_stream(stream: *mut ZfpStream, bs: *mut Bitstream);
    pub(crate) fn zfp_stream_rewind(stream: *mut ZfpStream);
    pub(crate) fn zfp_stream_maximum_size(
        stream: *const ZfpStream,
        field: *const ZfpField,
    ) -> usize;
    pub(crate) fn zfp_stream_set_reversible(stream: *mut ZfpStream);
    pub(crate) fn zfp_stream_set_rate(
        stream: *mut ZfpStream,
        rate: c_double,
        kind: c_int,
        dims: c_uint,
        align: c_int,
    ) -> c_double;
    pub(crate) fn zfp_stream_set_precision(stream: *mut ZfpStream, precision: c_uint) -> c_uint;
    /// zfp's `zfp_bool` is an `int`.
    pub(crate) fn zfp_stream_set_params(
        stream: *mut ZfpStream,
        minbits: c_uint,
        maxbits: c_uint,
        maxprec: c_uint,
        minexp: c_int,
    ) -> c_int;
    pub(crate) fn zfp_stream_params(
        stream: *const ZfpStream,
        minbits: *mut c_uint,
        maxbits: *mut c_uint,
        maxprec: *mut c_uint,
        minexp: *mut c_int,
    );
    pub(crate) fn zfp_stream_compression_mode(stream: *const ZfpStream) -> c_int;
    pub(crate) fn zfp_stream_set_accuracy(stream: *mut ZfpStream, tolerance: c_double) -> c_double;

    pub(crate) fn zfp_field_alloc() -> *mut ZfpField;
    pub(crate) fn zfp_field_free(field: *mut ZfpField);
    pub(crate) fn zfp_field_type(field: *const ZfpField) -> c_int;
    pub(crate) fn zfp_field_dimensionality(field: *const ZfpField) -> c_uint;
    pub(crate) fn zfp_field_size(field: *const ZfpField, size: *mut usize) -> usize;
    pub(crate) fn zfp_field_set_pointer(field: *mut ZfpField, pointer: *mut c_void);
    pub(crate) fn zfp_field_set_type(field: *mut ZfpField, kind: c_int) -> c_int;
    pub(crate) fn zfp_field_set_size_1d(field: *mut ZfpField, nx: usize);
    pub(crate) fn zfp_field_set_size_2d(field: *mut ZfpField, nx: usize, ny: usize);
    pub(crate) fn zfp_field_set_size_3d(field: *mut ZfpField, nx: usize, ny: usize, nz: usize);
    pub(crate) fn zfp_field_set_size_4d(
        field: *mut ZfpField,
        nx: usize,
        ny: usize,
        nz: usize,
        nw: usize,
    );

    pub(crate) fn zfp_compress(stream: *mut ZfpStream, field: *const ZfpField) -> usize;
    pub(crate) fn zfp_decompress(stream: *mut ZfpStream, field: *mut ZfpField) -> usize;
    pub(crate) fn zfp_write_header(
        stream: *mut ZfpStream,
        field: *const ZfpField,
        mask: c_uint,
    ) -> usize;
    pub(crate) fn zfp_read_header(
        stream: *mut ZfpStream,
        field: *mut ZfpField,
        mask: c_uint,
    ) -> usize;
}
