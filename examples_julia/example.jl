# zarrio from Julia through `ccall`: create a zstd-compressed array in a
# directory, write a Julia matrix into it, read it back, and set and read
# attributes. Every call and its ownership rule is in include/zarrio.h.
#
#     julia examples_julia/example.jl /path/to/libzarrio.so /tmp/zarrio-julia
#
# (No Julia toolchain is on the project's build machines, so this file is
# not run by the tests; the C, C++ and Fortran examples are.)
#
# Notes for a binding:
# - Handles are opaque pointers (`Ptr{Cvoid}`); release each with its
#   `zarrio_*_free` call. Strings the library returns are freed with
#   `zarrio_string_free`, never `Libc.free`.
# - Every fallible call returns a status (`Int32`, 0 = success);
#   `zarrio_last_error()` is the message of the calling OS thread's last
#   failure: read it right after the call, before anything can yield (a
#   task may move to another thread at a yield point).
# - Julia arrays are column-major, Zarr's dimensions C order: pass a Julia
#   array of the Zarr shape with Fortran strides (1, n1, n1*n2, ...), as
#   below, or a Julia array of the reversed shape with `C_NULL` strides.
# - Callback stores: the library calls host callbacks on its own threads
#   unless the array's threads and I/O concurrency are both 1
#   (`zarrio_array_set_threads`, `zarrio_array_set_io_concurrency`); a
#   `@cfunction` called on a thread Julia did not start needs Julia 1.9 or
#   newer.

const libzarrio = length(ARGS) >= 1 ? ARGS[1] : "libzarrio"
const dir = length(ARGS) >= 2 ? ARGS[2] : mktempdir()

function check(status::Int32)
    status == 0 && return
    msg = unsafe_string(ccall((:zarrio_last_error, libzarrio), Cstring, ()))
    error("zarrio failed with status $status: $msg")
end

"A string the library returned, copied and freed."
function take_string(p::Ptr{UInt8})
    s = unsafe_string(p)
    ccall((:zarrio_string_free, libzarrio), Cvoid, (Ptr{UInt8},), p)
    return s
end

store = Ref{Ptr{Cvoid}}(C_NULL)
check(ccall((:zarrio_store_open_filesystem, libzarrio), Int32,
            (Cstring, Ref{Ptr{Cvoid}}), dir, store))

# A 40 x 30 float64 array (Zarr order), chunks of 16 x 16, zstd.
meta = """
{"zarr_format": 3, "node_type": "array", "shape": [40, 30], "data_type": "float64",
 "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [16, 16]}},
 "chunk_key_encoding": {"name": "default"}, "fill_value": "NaN",
 "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
            {"name": "zstd", "configuration": {"level": 3, "checksum": false}}],
 "attributes": {"units": "K"}}
"""
array = Ref{Ptr{Cvoid}}(C_NULL)
check(ccall((:zarrio_array_create, libzarrio), Int32,
            (Ptr{Cvoid}, Cstring, Cstring, Ref{Ptr{Cvoid}}), store[], "temperature", meta, array))

# The Julia matrix has the Zarr shape; Fortran strides say where element
# (i, j) lies in it.
field = [Float64(100i + j) for i in 1:40, j in 1:30]
start = UInt64[0, 0]
shape = UInt64[40, 30]
strides = Int64[1, 40]
check(ccall((:zarrio_array_write, libzarrio), Int32,
            (Ptr{Cvoid}, Csize_t, Ptr{UInt64}, Ptr{UInt64}, Ptr{Cvoid}, Csize_t, Ptr{Int64}),
            array[], 2, start, shape, field, sizeof(field), strides))

back = Matrix{Float64}(undef, 40, 30)
check(ccall((:zarrio_array_read, libzarrio), Int32,
            (Ptr{Cvoid}, Csize_t, Ptr{UInt64}, Ptr{UInt64}, Ptr{Cvoid}, Csize_t, Ptr{Int64}),
            array[], 2, start, shape, back, sizeof(back), strides))
back == field || error("read back differs")

# A block of it: Zarr rows 10..19, columns 5..7 (0-based, as Zarr counts).
block = Matrix{Float64}(undef, 10, 3)
check(ccall((:zarrio_array_read, libzarrio), Int32,
            (Ptr{Cvoid}, Csize_t, Ptr{UInt64}, Ptr{UInt64}, Ptr{Cvoid}, Csize_t, Ptr{Int64}),
            array[], 2, UInt64[10, 5], UInt64[10, 3], block, sizeof(block), Int64[1, 10]))
block == field[11:20, 6:8] || error("block differs")

# Attributes are JSON object text.
check(ccall((:zarrio_array_set_attributes, libzarrio), Int32, (Ptr{Cvoid}, Cstring),
            array[], """{"units": "K", "valid_max": 400.0}"""))
out = Ref{Ptr{UInt8}}(C_NULL)
check(ccall((:zarrio_array_attributes, libzarrio), Int32, (Ptr{Cvoid}, Ref{Ptr{UInt8}}),
            array[], out))
println("attributes: ", take_string(out[]))

# A bad call: the status and the message.
status = ccall((:zarrio_array_open, libzarrio), Int32,
               (Ptr{Cvoid}, Cstring, Ref{Ptr{Cvoid}}), store[], "no/such/array", Ref{Ptr{Cvoid}}(C_NULL))
println("opening a missing array: status $status, ",
        unsafe_string(ccall((:zarrio_last_error, libzarrio), Cstring, ())))

ccall((:zarrio_array_free, libzarrio), Cvoid, (Ptr{Cvoid},), array[])
ccall((:zarrio_store_free, libzarrio), Cvoid, (Ptr{Cvoid},), store[])
println("ok")
