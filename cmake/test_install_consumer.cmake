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
