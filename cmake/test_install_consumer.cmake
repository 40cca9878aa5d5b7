# CTest script: install zarrio into a scratch prefix, then build and run a
# consumer with find_package(zarrio) (shared and static) and with pkg-config.
set(prefix "${BUILD_DIR}/install-test")
file(REMOVE_RECURSE "${prefix}" "${BUILD_DIR}/consumer-build")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f include/zarrio.h include/zarrio.hpp lib/libzarrio.a lib/libzarrio.so lib/pkgconfig/zarrio.pc lib/cmake/zarrio/zarrioConfig.cmake)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "install is missing ${f}")
  endif()
endforeach()

run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples_c/consumer" -B "${BUILD_DIR}/consumer-build"
    "-DCMAKE_PREFIX_PATH=${prefix}")
run("${CMAKE_COMMAND}" --build "${BUILD_DIR}/consumer-build")
run("${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${prefix}/lib" "${BUILD_DIR}/consumer-build/consumer_shared")
run("${BUILD_DIR}/consumer-build/consumer_static")
if(EXISTS "${BUILD_DIR}/consumer-build/consumer_cpp")
  run("${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${prefix}/lib" "${BUILD_DIR}/consumer-build/consumer_cpp")
endif()

# A project of Fortran alone (FindThreads needs C: the package must not).
find_program(FORTRAN_COMPILER NAMES gfortran f95)
if(FORTRAN_COMPILER)
  file(REMOVE_RECURSE "${BUILD_DIR}/fortran-consumer-build")
  run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples_fortran/consumer" -B "${BUILD_DIR}/fortran-consumer-build"
      "-DCMAKE_PREFIX_PATH=${prefix}")
  run("${CMAKE_COMMAND}" --build "${BUILD_DIR}/fortran-consumer-build")
  foreach(kind shared static)
    run("${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${prefix}/lib"
        "${BUILD_DIR}/fortran-consumer-build/fortran_${kind}" "${BUILD_DIR}/fortran-consumer-build/data-${kind}")
  endforeach()
endif()

# The static library defines no global symbol but the zarrio_* calls: the
# C libraries built into it (zlib, zstd, ...) and Rust's std are its own.
find_program(READELF readelf)
if(READELF)
  execute_process(COMMAND "${READELF}" -W --syms "${prefix}/lib/libzarrio.a"
                  OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "readelf cannot read the installed libzarrio.a")
  endif()
  string(REGEX MATCHALL "[^\n]+" lines "${syms}")
  set(globals 0)
  foreach(line IN LISTS lines)
    if(line MATCHES " (GLOBAL|WEAK) +[A-Z]+ +([0-9]+|ABS|COM) +([^ ]+)$")
      if(NOT CMAKE_MATCH_3 MATCHES "^zarrio_")
        message(FATAL_ERROR "libzarrio.a defines the global symbol ${CMAKE_MATCH_3}")
      endif()
      math(EXPR globals "${globals} + 1")
    endif()
  endforeach()
  if(globals LESS 50)
    message(FATAL_ERROR "libzarrio.a defines only ${globals} zarrio_* symbols")
  endif()
  # No COMDAT group: one whose signature is local would be merged with
  # another Rust library's (see cmake/localize_static.cmake).
  execute_process(COMMAND "${READELF}" -W -g "${prefix}/lib/libzarrio.a" OUTPUT_VARIABLE groups)
  if(groups MATCHES "COMDAT group")
    message(FATAL_ERROR "libzarrio.a holds section groups:\n${groups}")
  endif()
  message(STATUS "libzarrio.a: ${globals} global symbols, all zarrio_*")
endif()

find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env "PKG_CONFIG_PATH=${prefix}/lib/pkgconfig"
                          "${PKG_CONFIG}" --cflags --libs zarrio
                  OUTPUT_VARIABLE flags RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config does not find zarrio")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(cc "${SOURCE_DIR}/examples_c/consumer/consumer.c" ${flags} -o "${BUILD_DIR}/consumer-build/consumer_pkgconfig")
  run("${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${prefix}/lib" "${BUILD_DIR}/consumer-build/consumer_pkgconfig")
else()
  message(FATAL_ERROR "pkg-config is not installed")
endif()
