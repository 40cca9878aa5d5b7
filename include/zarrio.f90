! zarrio: Fortran bindings (iso_c_binding) for the C API in zarrio.h,
! and zarrio_get / zarrio_put, which take a Fortran array of any rank
! (assumed-rank arrays: the module needs a Fortran 2018 compiler, such as
! gfortran 9 or later).
!
! Every function returns an integer(c_int32_t) status: ZARRIO_OK (0) or a
! negative ZARRIO_ERR_* code; zarrio_error_message() gives the message of
! the last failure on this thread. Handles are type(c_ptr); free them with
! the matching *_free. Strings passed in must be NUL-terminated: use
! zarrio_cstr("text"). Strings the library returns (attributes, metadata,
! children, the data type) arrive as a type(c_ptr): zarrio_take_string(p)
! copies one into a Fortran string and frees it.
!
! Fortran arrays are column-major. A Fortran array buf(nx, ny, nz) has the
! memory layout of a C-order region of shape [nz, ny, nx], so passing the
! Zarr shape reversed needs no strides. To keep Zarr's dimension order
! instead (buf(nz, ny, nx) for a Zarr shape [nz, ny, nx]), pass element
! strides [1, nz, nz*ny] (see zarrio_fortran_strides).
module zarrio
  use, intrinsic :: iso_c_binding
  implicit none
  ! Reached through zarrio_get / zarrio_put and zarrio_take_string only.
  private :: zarrio_region_io
  private :: zarrio_get_l1, zarrio_get_i1, zarrio_get_i2, zarrio_get_i4, zarrio_get_i8
  private :: zarrio_get_r4, zarrio_get_r8, zarrio_get_c4, zarrio_get_c8
  private :: zarrio_put_l1, zarrio_put_i1, zarrio_put_i2, zarrio_put_i4, zarrio_put_i8
  private :: zarrio_put_r4, zarrio_put_r8, zarrio_put_c4, zarrio_put_c8

  integer(c_int32_t), parameter :: ZARRIO_OK = 0
  integer(c_int32_t), parameter :: ZARRIO_ERR_INVALID_ARGUMENT = -1
  integer(c_int32_t), parameter :: ZARRIO_ERR_INVALID_METADATA = -2
  integer(c_int32_t), parameter :: ZARRIO_ERR_UNSUPPORTED = -3
  integer(c_int32_t), parameter :: ZARRIO_ERR_NOT_FOUND = -4
  integer(c_int32_t), parameter :: ZARRIO_ERR_IO = -5
  integer(c_int32_t), parameter :: ZARRIO_ERR_CORRUPT = -6
  integer(c_int32_t), parameter :: ZARRIO_ERR_CHECKSUM = -7
  integer(c_int32_t), parameter :: ZARRIO_ERR_OUT_OF_BOUNDS = -8
  integer(c_int32_t), parameter :: ZARRIO_ERR_BUFFER_TOO_SMALL = -9
  integer(c_int32_t), parameter :: ZARRIO_ERR_ALREADY_EXISTS = -10
  integer(c_int32_t), parameter :: ZARRIO_ERR_INTERNAL = -11
  integer(c_int32_t), parameter :: ZARRIO_ERR_OUT_OF_MEMORY = -12
  ! The most threads (or requests in flight) a setting may ask for.
  integer(c_int32_t), parameter :: ZARRIO_MAX_THREADS = 1024

  interface
    function zarrio_version_number() bind(c, name="zarrio_version_number")
      import :: c_int32_t
      integer(c_int32_t) :: zarrio_version_number
    end function

    function zarrio_last_error_copy(buf, capacity) bind(c, name="zarrio_last_error_copy")
      import :: c_char, c_size_t
      character(kind=c_char), dimension(*), intent(out) :: buf
      integer(c_size_t), value :: capacity
      integer(c_size_t) :: zarrio_last_error_copy
    end function

    ! 0 = one per core; at most ZARRIO_MAX_THREADS (a negative n is refused).
    function zarrio_set_threads(n) bind(c, name="zarrio_set_threads")
      import :: c_int32_t
      integer(c_int32_t), value :: n
      integer(c_int32_t) :: zarrio_set_threads
    end function

    ! Nonzero: reads advise huge pages on caller buffers of 8 MiB or more.
    function zarrio_set_huge_pages(enabled) bind(c, name="zarrio_set_huge_pages")
      import :: c_int32_t
      integer(c_int32_t), value :: enabled
      integer(c_int32_t) :: zarrio_set_huge_pages
    end function

    function zarrio_store_open_filesystem(path, store) bind(c, name="zarrio_store_open_filesystem")
      import :: c_char, c_ptr, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), intent(out) :: store
      integer(c_int32_t) :: zarrio_store_open_filesystem
    end function

    function zarrio_store_open_zip(path, store) bind(c, name="zarrio_store_open_zip")
      import :: c_char, c_ptr, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), intent(out) :: store
      integer(c_int32_t) :: zarrio_store_open_zip
    end function

    function zarrio_store_create_zip(path, store) bind(c, name="zarrio_store_create_zip")
      import :: c_char, c_ptr, c_int32_t
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), intent(out) :: store
      integer(c_int32_t) :: zarrio_store_create_zip
    end function

    function zarrio_store_close(store) bind(c, name="zarrio_store_close")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: store
      integer(c_int32_t) :: zarrio_store_close
    end function

    function zarrio_store_create_memory(store) bind(c, name="zarrio_store_create_memory")
      import :: c_ptr, c_int32_t
      type(c_ptr), intent(out) :: store
      integer(c_int32_t) :: zarrio_store_create_memory
    end function

    subroutine zarrio_store_free(store) bind(c, name="zarrio_store_free")
      import :: c_ptr
      type(c_ptr), value :: store
    end subroutine

    function zarrio_store_open_consolidated(store, path, consolidated) &
        bind(c, name="zarrio_store_open_consolidated")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: store
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), intent(out) :: consolidated
      integer(c_int32_t) :: zarrio_store_open_consolidated
    end function

    function zarrio_store_open_n5(store, n5) bind(c, name="zarrio_store_open_n5")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: store
      type(c_ptr), intent(out) :: n5
      integer(c_int32_t) :: zarrio_store_open_n5
    end function

    function zarrio_group_create(store, path, attributes_json, group) bind(c, name="zarrio_group_create")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: store
      character(kind=c_char), dimension(*), intent(in) :: path
      character(kind=c_char), dimension(*), intent(in) :: attributes_json
      type(c_ptr), intent(out) :: group
      integer(c_int32_t) :: zarrio_group_create
    end function

    function zarrio_group_open(store, path, group) bind(c, name="zarrio_group_open")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: store
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), intent(out) :: group
      integer(c_int32_t) :: zarrio_group_open
    end function

    subroutine zarrio_group_free(group) bind(c, name="zarrio_group_free")
      import :: c_ptr
      type(c_ptr), value :: group
    end subroutine

    function zarrio_group_erase_child(group, name) bind(c, name="zarrio_group_erase_child")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: group
      character(kind=c_char), dimension(*), intent(in) :: name
      integer(c_int32_t) :: zarrio_group_erase_child
    end function

    ! The group's attributes as JSON text, a library string.
    function zarrio_group_attributes(group, out_json) bind(c, name="zarrio_group_attributes")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: group
      type(c_ptr), intent(out) :: out_json
      integer(c_int32_t) :: zarrio_group_attributes
    end function

    ! Replace the group's attributes with a JSON object's text.
    function zarrio_group_set_attributes(group, json) bind(c, name="zarrio_group_set_attributes")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: group
      character(kind=c_char), dimension(*), intent(in) :: json
      integer(c_int32_t) :: zarrio_group_set_attributes
    end function

    ! The group's children as JSON text: [{"name": ..., "node_type": "array" or "group"}, ...].
    function zarrio_group_children(group, out_json) bind(c, name="zarrio_group_children")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: group
      type(c_ptr), intent(out) :: out_json
      integer(c_int32_t) :: zarrio_group_children
    end function

    function zarrio_group_consolidate_metadata(group) bind(c, name="zarrio_group_consolidate_metadata")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: group
      integer(c_int32_t) :: zarrio_group_consolidate_metadata
    end function

    function zarrio_array_create(store, path, zarr_json, array) bind(c, name="zarrio_array_create")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: store
      character(kind=c_char), dimension(*), intent(in) :: path
      character(kind=c_char), dimension(*), intent(in) :: zarr_json
      type(c_ptr), intent(out) :: array
      integer(c_int32_t) :: zarrio_array_create
    end function

    function zarrio_array_open(store, path, array) bind(c, name="zarrio_array_open")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: store
      character(kind=c_char), dimension(*), intent(in) :: path
      type(c_ptr), intent(out) :: array
      integer(c_int32_t) :: zarrio_array_open
    end function

    subroutine zarrio_array_free(array) bind(c, name="zarrio_array_free")
      import :: c_ptr
      type(c_ptr), value :: array
    end subroutine

    function zarrio_array_resize(array, ndim, shape) bind(c, name="zarrio_array_resize")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: shape
      integer(c_int32_t) :: zarrio_array_resize
    end function

    ! The array's data type name ("int32", "float64", ...), a library string.
    function zarrio_array_data_type(array, out_name) bind(c, name="zarrio_array_data_type")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: array
      type(c_ptr), intent(out) :: out_name
      integer(c_int32_t) :: zarrio_array_data_type
    end function

    ! The array's metadata document as JSON text, a library string.
    function zarrio_array_metadata(array, out_json) bind(c, name="zarrio_array_metadata")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: array
      type(c_ptr), intent(out) :: out_json
      integer(c_int32_t) :: zarrio_array_metadata
    end function

    ! The array's attributes as JSON text, a library string.
    function zarrio_array_attributes(array, out_json) bind(c, name="zarrio_array_attributes")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: array
      type(c_ptr), intent(out) :: out_json
      integer(c_int32_t) :: zarrio_array_attributes
    end function

    ! Replace the array's attributes with a JSON object's text.
    function zarrio_array_set_attributes(array, json) bind(c, name="zarrio_array_set_attributes")
      import :: c_char, c_ptr, c_int32_t
      type(c_ptr), value :: array
      character(kind=c_char), dimension(*), intent(in) :: json
      integer(c_int32_t) :: zarrio_array_set_attributes
    end function

    ! Free a string the library returned (zarrio_take_string does).
    subroutine zarrio_string_free(s) bind(c, name="zarrio_string_free")
      import :: c_ptr
      type(c_ptr), value :: s
    end subroutine

    function zarrio_array_ndim(array, ndim) bind(c, name="zarrio_array_ndim")
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), intent(out) :: ndim
      integer(c_int32_t) :: zarrio_array_ndim
    end function

    function zarrio_array_shape(array, shape, capacity) bind(c, name="zarrio_array_shape")
      import :: c_ptr, c_int64_t, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_int64_t), dimension(*), intent(out) :: shape
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_shape
    end function

    function zarrio_array_chunk_shape(array, shape, capacity) bind(c, name="zarrio_array_chunk_shape")
      import :: c_ptr, c_int64_t, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_int64_t), dimension(*), intent(out) :: shape
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_chunk_shape
    end function

    function zarrio_array_inner_chunk_shape(array, shape, capacity) &
        bind(c, name="zarrio_array_inner_chunk_shape")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_int64_t), dimension(*), intent(out) :: shape
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_inner_chunk_shape
    end function

    function zarrio_array_grid_shape(array, shape, capacity) bind(c, name="zarrio_array_grid_shape")
      import :: c_ptr, c_int64_t, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_int64_t), dimension(*), intent(out) :: shape
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_grid_shape
    end function

    function zarrio_array_chunk_span(array, ndim, indices, origin, shape) bind(c, name="zarrio_array_chunk_span")
      import :: c_ptr, c_int64_t, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: indices
      integer(c_int64_t), dimension(*), intent(out) :: origin, shape
      integer(c_int32_t) :: zarrio_array_chunk_span
    end function

    function zarrio_array_element_size(array, size) bind(c, name="zarrio_array_element_size")
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), intent(out) :: size
      integer(c_int32_t) :: zarrio_array_element_size
    end function

    function zarrio_array_fill_value(array, out, capacity) bind(c, name="zarrio_array_fill_value")
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: array
      type(c_ptr), value :: out
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_fill_value
    end function

    function zarrio_array_fill_value_size(array, size) bind(c, name="zarrio_array_fill_value_size")
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), intent(out) :: size
      integer(c_int32_t) :: zarrio_array_fill_value_size
    end function

    ! start and shape hold ndim entries in Zarr (C) dimension order;
    ! strides (elements) may be c_null_ptr for C order. buf is any array.
    function zarrio_array_read(array, ndim, start, shape, buf, capacity, strides) bind(c, name="zarrio_array_read")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, shape
      type(c_ptr), value :: buf
      integer(c_size_t), value :: capacity
      type(c_ptr), value :: strides
      integer(c_int32_t) :: zarrio_array_read
    end function

    function zarrio_array_write(array, ndim, start, shape, src, size, strides) bind(c, name="zarrio_array_write")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, shape
      type(c_ptr), value :: src
      integer(c_size_t), value :: size
      type(c_ptr), value :: strides
      integer(c_int32_t) :: zarrio_array_write
    end function

    ! Every step(d)-th element from start(d), count(d) of them, along each
    ! dimension (Zarr's order, as start in zarrio_array_read).
    function zarrio_array_read_stepped(array, ndim, start, step, count, buf, capacity, strides) &
        bind(c, name="zarrio_array_read_stepped")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, step, count
      type(c_ptr), value :: buf
      integer(c_size_t), value :: capacity
      type(c_ptr), value :: strides
      integer(c_int32_t) :: zarrio_array_read_stepped
    end function

    function zarrio_array_write_stepped(array, ndim, start, step, count, src, size, strides) &
        bind(c, name="zarrio_array_write_stepped")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, step, count
      type(c_ptr), value :: src
      integer(c_size_t), value :: size
      type(c_ptr), value :: strides
      integer(c_int32_t) :: zarrio_array_write_stepped
    end function

    ! Lists of (0-based) indices per dimension: indices(d) = c_loc of an
    ! integer(c_int64_t) list of counts(d) entries, or c_null_ptr for every
    ! index of the dimension (counts(d) its extent; or 0 for none).
    function zarrio_array_read_orthogonal(array, ndim, indices, counts, buf, capacity, strides) &
        bind(c, name="zarrio_array_read_orthogonal")
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      type(c_ptr), dimension(*), intent(in) :: indices
      integer(c_size_t), dimension(*), intent(in) :: counts
      type(c_ptr), value :: buf
      integer(c_size_t), value :: capacity
      type(c_ptr), value :: strides
      integer(c_int32_t) :: zarrio_array_read_orthogonal
    end function

    function zarrio_array_write_orthogonal(array, ndim, indices, counts, src, size, strides) &
        bind(c, name="zarrio_array_write_orthogonal")
      import :: c_ptr, c_size_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      type(c_ptr), dimension(*), intent(in) :: indices
      integer(c_size_t), dimension(*), intent(in) :: counts
      type(c_ptr), value :: src
      integer(c_size_t), value :: size
      type(c_ptr), value :: strides
      integer(c_int32_t) :: zarrio_array_write_orthogonal
    end function

    ! Points: coords holds each point's ndim (0-based, Zarr-order)
    ! coordinates in turn, npoints * ndim entries; one element per point.
    function zarrio_array_read_points(array, ndim, npoints, coords, buf, capacity) &
        bind(c, name="zarrio_array_read_points")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim, npoints
      integer(c_int64_t), dimension(*), intent(in) :: coords
      type(c_ptr), value :: buf
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_read_points
    end function

    function zarrio_array_write_points(array, ndim, npoints, coords, src, size) &
        bind(c, name="zarrio_array_write_points")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim, npoints
      integer(c_int64_t), dimension(*), intent(in) :: coords
      type(c_ptr), value :: src
      integer(c_size_t), value :: size
      integer(c_int32_t) :: zarrio_array_write_points
    end function

    ! Items of a string or bytes array: item i is out_data(offsets(i)+1 :
    ! offsets(i+1)) (offsets holds the region's item count + 1 entries);
    ! release out_data with zarrio_bytes_free(out_data, out_len).
    function zarrio_array_read_strings(array, ndim, start, shape, offsets, offsets_count, out_data, out_len) &
        bind(c, name="zarrio_array_read_strings")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, shape
      integer(c_int64_t), dimension(*), intent(out) :: offsets
      integer(c_size_t), value :: offsets_count
      type(c_ptr), intent(out) :: out_data
      integer(c_size_t), intent(out) :: out_len
      integer(c_int32_t) :: zarrio_array_read_strings
    end function

    function zarrio_array_write_strings(array, ndim, start, shape, data, data_len, offsets, offsets_count) &
        bind(c, name="zarrio_array_write_strings")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t, c_char
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, shape
      character(kind=c_char), dimension(*), intent(in) :: data
      integer(c_size_t), value :: data_len
      integer(c_int64_t), dimension(*), intent(in) :: offsets
      integer(c_size_t), value :: offsets_count
      integer(c_int32_t) :: zarrio_array_write_strings
    end function

    ! Selections of variable-length items: the _stepped, _orthogonal and
    ! _points forms of zarrio_array_read_strings / zarrio_array_write_strings.
    function zarrio_array_read_strings_stepped(array, ndim, start, step, count, offsets, offsets_count, &
        out_data, out_len) bind(c, name="zarrio_array_read_strings_stepped")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, step, count
      integer(c_int64_t), dimension(*), intent(out) :: offsets
      integer(c_size_t), value :: offsets_count
      type(c_ptr), intent(out) :: out_data
      integer(c_size_t), intent(out) :: out_len
      integer(c_int32_t) :: zarrio_array_read_strings_stepped
    end function

    function zarrio_array_write_strings_stepped(array, ndim, start, step, count, data, data_len, offsets, &
        offsets_count) bind(c, name="zarrio_array_write_strings_stepped")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t, c_char
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, step, count
      character(kind=c_char), dimension(*), intent(in) :: data
      integer(c_size_t), value :: data_len
      integer(c_int64_t), dimension(*), intent(in) :: offsets
      integer(c_size_t), value :: offsets_count
      integer(c_int32_t) :: zarrio_array_write_strings_stepped
    end function

    function zarrio_array_read_strings_orthogonal(array, ndim, indices, counts, offsets, offsets_count, &
        out_data, out_len) bind(c, name="zarrio_array_read_strings_orthogonal")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      type(c_ptr), dimension(*), intent(in) :: indices
      integer(c_size_t), dimension(*), intent(in) :: counts
      integer(c_int64_t), dimension(*), intent(out) :: offsets
      integer(c_size_t), value :: offsets_count
      type(c_ptr), intent(out) :: out_data
      integer(c_size_t), intent(out) :: out_len
      integer(c_int32_t) :: zarrio_array_read_strings_orthogonal
    end function

    function zarrio_array_write_strings_orthogonal(array, ndim, indices, counts, data, data_len, offsets, &
        offsets_count) bind(c, name="zarrio_array_write_strings_orthogonal")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t, c_char
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      type(c_ptr), dimension(*), intent(in) :: indices
      integer(c_size_t), dimension(*), intent(in) :: counts
      character(kind=c_char), dimension(*), intent(in) :: data
      integer(c_size_t), value :: data_len
      integer(c_int64_t), dimension(*), intent(in) :: offsets
      integer(c_size_t), value :: offsets_count
      integer(c_int32_t) :: zarrio_array_write_strings_orthogonal
    end function

    function zarrio_array_read_strings_points(array, ndim, npoints, coords, offsets, offsets_count, &
        out_data, out_len) bind(c, name="zarrio_array_read_strings_points")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim, npoints
      integer(c_int64_t), dimension(*), intent(in) :: coords
      integer(c_int64_t), dimension(*), intent(out) :: offsets
      integer(c_size_t), value :: offsets_count
      type(c_ptr), intent(out) :: out_data
      integer(c_size_t), intent(out) :: out_len
      integer(c_int32_t) :: zarrio_array_read_strings_points
    end function

    function zarrio_array_write_strings_points(array, ndim, npoints, coords, data, data_len, offsets, &
        offsets_count) bind(c, name="zarrio_array_write_strings_points")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t, c_char
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim, npoints
      integer(c_int64_t), dimension(*), intent(in) :: coords
      character(kind=c_char), dimension(*), intent(in) :: data
      integer(c_size_t), value :: data_len
      integer(c_int64_t), dimension(*), intent(in) :: offsets
      integer(c_size_t), value :: offsets_count
      integer(c_int32_t) :: zarrio_array_write_strings_points
    end function

    subroutine zarrio_bytes_free(bytes, len) bind(c, name="zarrio_bytes_free")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: bytes
      integer(c_size_t), value :: len
    end subroutine

    function zarrio_array_fill(array, ndim, start, shape, value, value_size) bind(c, name="zarrio_array_fill")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: start, shape
      type(c_ptr), value :: value
      integer(c_size_t), value :: value_size
      integer(c_int32_t) :: zarrio_array_fill
    end function

    function zarrio_array_read_chunk(array, ndim, indices, buf, capacity) bind(c, name="zarrio_array_read_chunk")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: indices
      type(c_ptr), value :: buf
      integer(c_size_t), value :: capacity
      integer(c_int32_t) :: zarrio_array_read_chunk
    end function

    function zarrio_array_write_chunk(array, ndim, indices, src, size) bind(c, name="zarrio_array_write_chunk")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: indices
      type(c_ptr), value :: src
      integer(c_size_t), value :: size
      integer(c_int32_t) :: zarrio_array_write_chunk
    end function

    function zarrio_array_erase_chunk(array, ndim, indices) bind(c, name="zarrio_array_erase_chunk")
      import :: c_ptr, c_size_t, c_int64_t, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: ndim
      integer(c_int64_t), dimension(*), intent(in) :: indices
      integer(c_int32_t) :: zarrio_array_erase_chunk
    end function

    function zarrio_array_set_threads(array, n) bind(c, name="zarrio_array_set_threads")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: array
      integer(c_int32_t), value :: n
      integer(c_int32_t) :: zarrio_array_set_threads
    end function

    ! Store requests this array's reads keep in flight (0 = the default).
    function zarrio_array_set_io_concurrency(array, n) bind(c, name="zarrio_array_set_io_concurrency")
      import :: c_ptr, c_int32_t
      type(c_ptr), value :: array
      integer(c_int32_t), value :: n
      integer(c_int32_t) :: zarrio_array_set_io_concurrency
    end function

    ! The default for every array (0 = as many as decode threads).
    function zarrio_set_io_concurrency(n) bind(c, name="zarrio_set_io_concurrency")
      import :: c_int32_t
      integer(c_int32_t), value :: n
      integer(c_int32_t) :: zarrio_set_io_concurrency
    end function

    function zarrio_c_strlen(s) bind(c, name="strlen")
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: zarrio_c_strlen
    end function

    ! Check that caller elements of `elem_size` bytes and of `elem_kind`
    ! ("bool", "signed", "unsigned", "integer", "float", "complex") are
    ! the array's (zarrio_get and zarrio_put do).
    function zarrio_array_check_element(array, elem_size, elem_kind) bind(c, name="zarrio_array_check_element")
      import :: c_ptr, c_size_t, c_char, c_int32_t
      type(c_ptr), value :: array
      integer(c_size_t), value :: elem_size
      character(kind=c_char), dimension(*), intent(in) :: elem_kind
      integer(c_int32_t) :: zarrio_array_check_element
    end function

    ! Set this thread's last error message and return `status`.
    function zarrio_set_last_error(status, message) bind(c, name="zarrio_set_last_error")
      import :: c_char, c_int32_t
      integer(c_int32_t), value :: status
      character(kind=c_char), dimension(*), intent(in) :: message
      integer(c_int32_t) :: zarrio_set_last_error
    end function
  end interface

  ! Read (zarrio_get) or write (zarrio_put) a Fortran array of any rank
  ! and of a kind of logical(c_bool), integer (c_int8_t .. c_int64_t),
  ! real (c_float, c_double) or complex (c_float_complex,
  ! c_double_complex) as a region of a Zarr array, as netCDF's
  ! nf90_get_var and nf90_put_var do: the region's Zarr shape is the
  ! array's shape reversed (values(nx, ny, nz) is Zarr's [nz, ny, nx]),
  ! and `start`, optional, gives its first element's 1-based indices in
  ! the same Fortran order (default: all 1). The values' kind must be the
  ! array's data type (an integer kind of its size for the integers, of
  ! either sign, and for the numpy times). Returns a status, as every call
  ! here; a region past the array's edge is reported in Zarr's terms
  ! (0-based indices, Zarr's dimension order).
  interface zarrio_get
    module procedure zarrio_get_l1, zarrio_get_i1, zarrio_get_i2, zarrio_get_i4, zarrio_get_i8
    module procedure zarrio_get_r4, zarrio_get_r8, zarrio_get_c4, zarrio_get_c8
  end interface

  interface zarrio_put
    module procedure zarrio_put_l1, zarrio_put_i1, zarrio_put_i2, zarrio_put_i4, zarrio_put_i8
    module procedure zarrio_put_r4, zarrio_put_r8, zarrio_put_c4, zarrio_put_c8
  end interface

contains

  !> A Fortran string as a NUL-terminated C string.
  function zarrio_cstr(s) result(c)
    character(len=*), intent(in) :: s
    character(kind=c_char, len=len_trim(s) + 1) :: c
    c = trim(s) // c_null_char
  end function

  !> The text of a string the library returned (attributes, metadata,
  !> children, a data type name), which this frees, setting `p` to
  !> c_null_ptr; "" for a null pointer.
  function zarrio_take_string(p) result(text)
    type(c_ptr), intent(inout) :: p
    character(len=:), allocatable :: text
    character(kind=c_char), dimension(:), pointer :: chars
    integer(c_size_t) :: n, i
    if (.not. c_associated(p)) then
      text = ""
      return
    end if
    n = zarrio_c_strlen(p)
    call c_f_pointer(p, chars, [n])
    allocate(character(len=n) :: text)
    do i = 1, n
      text(i:i) = chars(i)
    end do
    call zarrio_string_free(p)
    ! A later failed call leaves its out-argument as it was: not a
    ! pointer to free again.
    p = c_null_ptr
  end function

  !> zarrio_get / zarrio_put: a region of Fortran shape `fshape` at the
  !> 1-based Fortran-order `start` (absent: all 1), its `elem`-byte
  !> elements of `kind` at `ptr`.
  function zarrio_region_io(array, fshape, start, ptr, elem, kind, write) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int64_t), dimension(:), intent(in) :: fshape
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    type(c_ptr), intent(in) :: ptr
    integer(c_size_t), intent(in) :: elem
    character(len=*), intent(in) :: kind
    logical, intent(in) :: write
    integer(c_int32_t) :: status
    integer(c_int64_t), dimension(size(fshape)) :: zstart, zshape
    integer(c_size_t) :: nbytes
    character(len=160) :: msg
    integer :: d, n
    n = size(fshape)
    status = zarrio_array_check_element(array, elem, zarrio_cstr(kind))
    if (status /= ZARRIO_OK) return
    zstart = 0
    if (present(start)) then
      if (size(start) /= n) then
        write (msg, '(a, i0, a, i0)') "zarrio_get/zarrio_put: start has ", size(start), &
          " entries, the values' rank is ", n
        status = zarrio_set_last_error(ZARRIO_ERR_INVALID_ARGUMENT, zarrio_cstr(msg))
        return
      end if
      do d = 1, n
        if (start(d) < 1) then
          write (msg, '(a, i0, a, i0, a)') "zarrio_get/zarrio_put: start(", d, ") is ", start(d), &
            "; indices start at 1"
          status = zarrio_set_last_error(ZARRIO_ERR_OUT_OF_BOUNDS, zarrio_cstr(msg))
          return
        end if
        zstart(n - d + 1) = start(d) - 1
      end do
    end if
    do d = 1, n
      zshape(d) = fshape(n - d + 1)
    end do
    nbytes = elem * product(max(fshape, 0_c_int64_t))
    if (write) then
      status = zarrio_array_write(array, int(n, c_size_t), zstart, zshape, ptr, nbytes, c_null_ptr)
    else
      status = zarrio_array_read(array, int(n, c_size_t), zstart, zshape, ptr, nbytes, c_null_ptr)
    end if
  end function

  function zarrio_get_l1(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    logical(c_bool), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 1_c_size_t, &
                              "bool", .false.)
  end function

  function zarrio_get_i1(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int8_t), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 1_c_size_t, &
                              "integer", .false.)
  end function

  function zarrio_get_i2(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int16_t), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 2_c_size_t, &
                              "integer", .false.)
  end function

  function zarrio_get_i4(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int32_t), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 4_c_size_t, &
                              "integer", .false.)
  end function

  function zarrio_get_i8(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int64_t), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 8_c_size_t, &
                              "integer", .false.)
  end function

  function zarrio_get_r4(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    real(c_float), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 4_c_size_t, &
                              "float", .false.)
  end function

  function zarrio_get_r8(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    real(c_double), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 8_c_size_t, &
                              "float", .false.)
  end function

  function zarrio_get_c4(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    complex(c_float_complex), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 8_c_size_t, &
                              "complex", .false.)
  end function

  function zarrio_get_c8(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    complex(c_double_complex), dimension(..), contiguous, target, intent(inout) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 16_c_size_t, &
                              "complex", .false.)
  end function

  function zarrio_put_l1(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    logical(c_bool), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 1_c_size_t, &
                              "bool", .true.)
  end function

  function zarrio_put_i1(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int8_t), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 1_c_size_t, &
                              "integer", .true.)
  end function

  function zarrio_put_i2(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int16_t), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 2_c_size_t, &
                              "integer", .true.)
  end function

  function zarrio_put_i4(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int32_t), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 4_c_size_t, &
                              "integer", .true.)
  end function

  function zarrio_put_i8(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    integer(c_int64_t), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 8_c_size_t, &
                              "integer", .true.)
  end function

  function zarrio_put_r4(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    real(c_float), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 4_c_size_t, &
                              "float", .true.)
  end function

  function zarrio_put_r8(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    real(c_double), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 8_c_size_t, &
                              "float", .true.)
  end function

  function zarrio_put_c4(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    complex(c_float_complex), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 8_c_size_t, &
                              "complex", .true.)
  end function

  function zarrio_put_c8(array, values, start) result(status)
    type(c_ptr), intent(in) :: array
    complex(c_double_complex), dimension(..), contiguous, target, intent(in) :: values
    integer(c_int64_t), dimension(:), intent(in), optional :: start
    integer(c_int32_t) :: status
    status = zarrio_region_io(array, shape(values, kind=c_int64_t), start, c_loc(values), 16_c_size_t, &
                              "complex", .true.)
  end function

  !> The message of the last failed call on this thread.
  function zarrio_error_message() result(msg)
    character(len=:), allocatable :: msg
    character(kind=c_char), dimension(1024) :: buf
    integer(c_size_t) :: n, i
    n = zarrio_last_error_copy(buf, int(size(buf), c_size_t))
    n = min(n, int(size(buf) - 1, c_size_t))
    allocate(character(len=n) :: msg)
    do i = 1, n
      msg(i:i) = buf(i)
    end do
  end function

  !> Element strides that read a Zarr region of `shape` (C order) into a
  !> Fortran array with the same dimension order: [1, s1, s1*s2, ...].
  function zarrio_fortran_strides(shape) result(strides)
    integer(c_int64_t), dimension(:), intent(in) :: shape
    integer(c_int64_t), dimension(size(shape)) :: strides
    integer :: d
    if (size(shape) == 0) return
    strides(1) = 1
    do d = 2, size(shape)
      strides(d) = strides(d - 1) * max(shape(d - 1), 1_c_int64_t)
    end do
  end function
end module zarrio
