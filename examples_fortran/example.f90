! zarrio from Fortran: create a zstd-compressed array, write a Fortran
! array, read it back two ways (reversed dimensions without strides, and
! Zarr's order with Fortran strides), and check the values; read and
! write it and a block of it with zarrio_get / zarrio_put; read every
! other element, and two points; then write and
! read back an array of variable-length strings; give the array and the
! root group attributes (netCDF-style units and names) and read them, the
! data type and the children back; then consolidate the hierarchy's
! metadata and open the array again through it, and resize it.
program zarrio_fortran_example
  use, intrinsic :: iso_c_binding
  use zarrio
  implicit none
  integer, parameter :: nx = 30, ny = 20, nz = 10
  type(c_ptr) :: store, array, other, root, consolidated
  integer(c_int32_t) :: st
  integer(c_int32_t), dimension(nx, ny, nz), target :: field, back
  integer(c_int32_t), dimension(nz, ny, nx), target :: zorder
  integer(c_int32_t), dimension(4, 2, 1) :: block
  real(c_float), dimension(nx, ny, nz) :: reals
  integer(c_int64_t), dimension(3), target :: start, shape, strides
  integer(c_int64_t), dimension(3) :: step, count
  integer(c_int32_t), dimension(nx / 2, ny / 2, nz / 2), target :: halves
  integer(c_int64_t), dimension(6) :: points
  integer(c_int32_t), dimension(2), target :: at_points
  character(len=:), allocatable :: meta, words, attrs, dtype, children
  type(c_ptr) :: returned
  integer(c_int64_t), dimension(3) :: inner
  integer(c_int64_t), dimension(4) :: offsets, got_offsets
  integer(c_int64_t), dimension(1) :: sstart, sshape
  type(c_ptr) :: text, items
  integer(c_size_t) :: items_len
  character(kind=c_char), dimension(:), pointer :: got
  character(len=256) :: dir
  integer :: i, j, k

  dir = "zarrio-fortran-data"
  if (command_argument_count() > 0) call get_command_argument(1, dir)

  ! Zarr shape [nz, ny, nx] (C order) is the memory layout of field(nx, ny, nz).
  meta = '{"zarr_format":3,"node_type":"array","shape":[10,20,30],"data_type":"int32",' // &
         '"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,8,16]}},' // &
         '"chunk_key_encoding":{"name":"default"},"fill_value":0,' // &
         '"codecs":[{"name":"bytes","configuration":{"endian":"little"}},' // &
         '{"name":"zstd","configuration":{"level":1}}]}'

  call check(zarrio_store_open_filesystem(zarrio_cstr(dir), store), "open store")
  call check(zarrio_array_create(store, zarrio_cstr("field"), zarrio_cstr(meta), array), "create")

  do k = 1, nz
    do j = 1, ny
      do i = 1, nx
        field(i, j, k) = i + 100 * j + 10000 * k
      end do
    end do
  end do
  start = 0
  shape = [int(nz, c_int64_t), int(ny, c_int64_t), int(nx, c_int64_t)]
  call check(zarrio_array_write(array, 3_c_size_t, start, shape, c_loc(field), &
                                int(4 * size(field), c_size_t), c_null_ptr), "write")

  back = 0
  call check(zarrio_array_read(array, 3_c_size_t, start, shape, c_loc(back), &
                               int(4 * size(back), c_size_t), c_null_ptr), "read")
  if (any(back /= field)) stop "reversed-dimension read differs"

  ! The same data in Zarr's dimension order: zorder(k, j, i) = field(i, j, k).
  strides = zarrio_fortran_strides(shape)
  call check(zarrio_array_read(array, 3_c_size_t, start, shape, c_loc(zorder), &
                               int(4 * size(zorder), c_size_t), c_loc(strides)), "strided read")
  do k = 1, nz
    do j = 1, ny
      do i = 1, nx
        if (zorder(k, j, i) /= field(i, j, k)) stop "Fortran-strided read differs"
      end do
    end do
  end do

  ! The same through zarrio_get and zarrio_put, which take Fortran arrays
  ! as netCDF's nf90_get_var and nf90_put_var do: Fortran dimension
  ! order, 1-based start.
  back = 0
  call check(zarrio_get(array, back), "zarrio_get")
  if (any(back /= field)) stop "zarrio_get differs"
  call check(zarrio_get(array, block, [3_c_int64_t, 2_c_int64_t, 4_c_int64_t]), "zarrio_get of a block")
  if (any(block /= field(3:6, 2:3, 4:4))) stop "zarrio_get of a block differs"
  block = -block
  call check(zarrio_put(array, block, [3_c_int64_t, 2_c_int64_t, 4_c_int64_t]), "zarrio_put of a block")
  field(3:6, 2:3, 4:4) = block
  call check(zarrio_get(array, back), "zarrio_get after zarrio_put")
  if (any(back /= field)) stop "zarrio_put differs"
  ! Values of another kind than the array's, or a start of another rank.
  st = zarrio_get(array, reals)
  if (st /= ZARRIO_ERR_INVALID_ARGUMENT) stop "real values for an int32 array were not refused"
  print '(a, a)', "expected error: ", zarrio_error_message()
  st = zarrio_get(array, back, [1_c_int64_t, 1_c_int64_t])
  if (st /= ZARRIO_ERR_INVALID_ARGUMENT) stop "a start of another rank was not refused"
  print '(a, a)', "expected error: ", zarrio_error_message()
  st = zarrio_get(array, block, [1_c_int64_t, 0_c_int64_t, 1_c_int64_t])
  if (st /= ZARRIO_ERR_OUT_OF_BOUNDS) stop "a start of 0 was not refused"
  print '(a, a)', "expected error: ", zarrio_error_message()

  ! Every other element along each dimension: halves(i, j, k) =
  ! field(2i - 1, 2j - 1, 2k - 1), in the reversed layout again.
  step = 2
  count = shape / 2
  call check(zarrio_array_read_stepped(array, 3_c_size_t, start, step, count, c_loc(halves), &
                                       int(4 * size(halves), c_size_t), c_null_ptr), "stepped read")
  if (any(halves /= field(1:nx:2, 1:ny:2, 1:nz:2))) stop "stepped read differs"

  ! Two points, each given by its Zarr-order (z, y, x) coordinates from 0.
  points = [0_c_int64_t, 0_c_int64_t, 0_c_int64_t, 9_c_int64_t, 19_c_int64_t, 28_c_int64_t]
  call check(zarrio_array_read_points(array, 3_c_size_t, 2_c_size_t, points, c_loc(at_points), &
                                      int(4 * size(at_points), c_size_t)), "point read")
  if (at_points(1) /= field(1, 1, 1) .or. at_points(2) /= field(29, 20, 10)) stop "point read differs"

  ! Variable-length strings: the items side by side, with offsets.
  meta = '{"zarr_format":3,"node_type":"array","shape":[3],"data_type":"string",' // &
         '"chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2]}},' // &
         '"chunk_key_encoding":{"name":"default"},"fill_value":"",' // &
         '"codecs":[{"name":"vlen-utf8"},{"name":"zstd","configuration":{"level":1}}]}'
  call check(zarrio_array_create(store, zarrio_cstr("names"), zarrio_cstr(meta), text), "create strings")
  words = "alphagamma-ray"
  offsets = [0_c_int64_t, 5_c_int64_t, 5_c_int64_t, 14_c_int64_t]
  sstart = 0
  sshape = 3
  call check(zarrio_array_write_strings(text, 1_c_size_t, sstart, sshape, words, &
                                        int(len(words), c_size_t), offsets, 4_c_size_t), "write strings")
  call check(zarrio_array_read_strings(text, 1_c_size_t, sstart, sshape, got_offsets, 4_c_size_t, &
                                       items, items_len), "read strings")
  if (any(got_offsets /= offsets) .or. items_len /= len(words)) stop "string offsets differ"
  call c_f_pointer(items, got, [items_len])
  do i = 1, len(words)
    if (got(i) /= words(i:i)) stop "string bytes differ"
  end do
  call zarrio_bytes_free(items, items_len)
  ! Items 2 and 0 (a point selection): "gamma-ray" then "alpha".
  call check(zarrio_array_read_strings_points(text, 1_c_size_t, 2_c_size_t, [2_c_int64_t, 0_c_int64_t], &
                                              got_offsets, 3_c_size_t, items, items_len), "read string points")
  if (any(got_offsets(1:3) /= [0_c_int64_t, 9_c_int64_t, 14_c_int64_t])) stop "string point offsets differ"
  call c_f_pointer(items, got, [items_len])
  if (got(1) /= "g" .or. got(10) /= "a") stop "string point bytes differ"
  call zarrio_bytes_free(items, items_len)
  call zarrio_array_free(text)

  ! Attributes, as netCDF variables carry them, and what the array is.
  call check(zarrio_array_set_attributes(array, zarrio_cstr('{"units":"K","long_name":"temperature"}')), &
             "set attributes")
  call check(zarrio_array_attributes(array, returned), "attributes")
  attrs = zarrio_take_string(returned)
  if (index(attrs, '"units":"K"') == 0 .or. index(attrs, '"long_name":"temperature"') == 0) &
    stop "attributes differ"
  call check(zarrio_array_data_type(array, returned), "data type")
  dtype = zarrio_take_string(returned)
  if (dtype /= "int32") stop "data type differs"
  if (c_associated(returned)) stop "zarrio_take_string left the freed pointer"
  call check(zarrio_array_metadata(array, returned), "metadata")
  meta = zarrio_take_string(returned)
  if (index(meta, '"zstd"') == 0 .or. index(meta, '"units"') == 0) stop "metadata differs"
  call check(zarrio_array_inner_chunk_shape(array, inner, 3_c_size_t), "inner chunk shape")
  if (any(inner /= [4_c_int64_t, 8_c_int64_t, 16_c_int64_t])) stop "inner chunk shape differs"
  call check(zarrio_array_set_io_concurrency(array, 4_c_int32_t), "io concurrency")

  ! Consolidated metadata: one request opens every node below the root.
  call check(zarrio_group_create(store, zarrio_cstr(""), zarrio_cstr("{}"), root), "create root")
  call check(zarrio_group_set_attributes(root, zarrio_cstr('{"title":"fortran example"}')), "root attributes")
  call check(zarrio_group_attributes(root, returned), "read root attributes")
  attrs = zarrio_take_string(returned)
  if (index(attrs, '"title":"fortran example"') == 0) stop "root attributes differ"
  call check(zarrio_group_children(root, returned), "children")
  children = zarrio_take_string(returned)
  if (index(children, '"field"') == 0 .or. index(children, '"names"') == 0) stop "children differ"
  call check(zarrio_group_consolidate_metadata(root), "consolidate")
  call zarrio_group_free(root)
  call check(zarrio_store_open_consolidated(store, zarrio_cstr(""), consolidated), "open consolidated")
  call check(zarrio_array_open(consolidated, zarrio_cstr("field"), other), "open through consolidated")
  back = 0
  call check(zarrio_array_read(other, 3_c_size_t, start, shape, c_loc(back), &
                               int(4 * size(back), c_size_t), c_null_ptr), "read through consolidated")
  if (any(back /= field)) stop "read through consolidated metadata differs"
  call zarrio_array_free(other)
  call zarrio_store_free(consolidated)

  ! Resize: cut the field to its first 4 levels (Zarr's dimension 0).
  shape(1) = 4
  call check(zarrio_array_resize(array, 3_c_size_t, shape), "resize")
  shape = 0
  call check(zarrio_array_shape(array, shape, 3_c_size_t), "shape")
  if (shape(1) /= 4 .or. shape(2) /= ny .or. shape(3) /= nx) stop "resize gave another shape"

  ! An error has a status and a message.
  st = zarrio_array_open(store, zarrio_cstr("missing"), other)
  if (st /= ZARRIO_ERR_NOT_FOUND) stop "expected NOT_FOUND"
  print '(a, a)', "expected error: ", zarrio_error_message()
  st = zarrio_store_open_zip(zarrio_cstr(trim(dir) // "/missing.zip"), consolidated)
  if (st /= ZARRIO_ERR_NOT_FOUND) stop "expected NOT_FOUND for a missing zip archive"

  call zarrio_array_free(array)
  call zarrio_store_free(store)
  print '(a)', "fortran example: ok"

contains
  subroutine check(status, what)
    integer(c_int32_t), intent(in) :: status
    character(len=*), intent(in) :: what
    if (status /= ZARRIO_OK) then
      print '(a, a, a)', what, " failed: ", zarrio_error_message()
      stop 1
    end if
  end subroutine
end program
