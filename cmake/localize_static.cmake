# Make the static library's only global symbols the zarrio_* calls: cargo's
# libzarrio.a also defines every symbol of the C libraries built into it
# (zlib, zstd, liblzma, lz4, c-blosc) and of Rust's std, which would take
# the place of a program's own copies (or be taken over by them) when it
# links against both. The archive's objects are joined into one
# (`ld -r`), everything but the zarrio_* calls made local, and the
# object archived again. LLVM bitcode sections (for cross-language LTO)
# are dropped: the binutils LTO plugin of an older LLVM cannot read them.
# So are COMDAT section groups: a group whose signature symbol is now
# local (Rust's DW.ref.rust_eh_personality) would still be merged by the
# linker with another Rust library's group of the same name, leaving one
# of the two libraries without its unwinding personality (a caught panic
# would crash); without the group each keeps its own copy.
#
# cmake -DIN=cargo's libzarrio.a -DOUT=libzarrio.a -DLD=... -DOBJCOPY=...
#       -DAR=... -DREADELF=... -DWORK=dir -P localize_static.cmake
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "localize_static: failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY "${WORK}")
set(joined "${WORK}/zarrio_joined.o")
set(local "${WORK}/zarrio.o")
run("${LD}" -r --whole-archive "${IN}" -o "${joined}")
run("${READELF}" -W --syms "${joined}")
string(REGEX MATCHALL "[^\n]+" lines "${run_out}")
set(keep "")
foreach(line IN LISTS lines)
  # Num: Value Size Type Bind Vis Ndx Name
  if(line MATCHES " (GLOBAL|WEAK) +[A-Z]+ +([0-9]+|ABS|COM) +(zarrio_[A-Za-z0-9_]+)$")
    string(APPEND keep "${CMAKE_MATCH_3}\n")
  endif()
endforeach()
if(keep STREQUAL "")
  message(FATAL_ERROR "localize_static: no zarrio_* symbols in ${IN}")
endif()
file(WRITE "${WORK}/keep.txt" "${keep}")
run("${OBJCOPY}" "--keep-global-symbols=${WORK}/keep.txt"
    --remove-section=.llvmbc --remove-section=.llvmcmd --remove-section=.group
    "${joined}" "${local}")
file(REMOVE "${OUT}" "${joined}")
run("${AR}" rcs "${OUT}" "${local}")
file(REMOVE "${local}")
