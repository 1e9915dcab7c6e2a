# cmake --install into a temporary prefix; check the package's files; build the installed
# samples/classification out of tree with find_package(hbdnn) and run it; link a small program
# against the static libdnn.a alone (-lpthread -lm) and through pkg-config when it exists.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(PREFIX ${WORK}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}\nfailed (${rc}): ${out}${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX})
foreach(f include/dnn/hb_dnn.h include/dnn/hb_sys.h include/dnn/hb_dnn_ext.h
        include/dnn/hb_dnn_status.h lib/libdnn.so lib/libdnn.a lib/cmake/hbdnn/hbdnnConfig.cmake
        lib/cmake/hbdnn/hbdnnConfigVersion.cmake lib/cmake/hbdnn/hbdnnTargets.cmake
        lib/pkgconfig/hbdnn.pc bin/hbdnn_classification bin/hbdnn_accuracy_eval
        bin/hbdnn_model_runner share/hbdnn/samples/classification/classification.c
        share/hbdnn/samples/classification/README.md share/hbdnn/samples/common/sample_dnn.c)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# out of tree: configure + build the installed sample, run it on a model of the e2e fixture
run(${CMAKE_COMMAND} -S ${PREFIX}/share/hbdnn/samples/classification -B ${WORK}/build
    -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_C_COMPILER=${CC} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/hbdnn_classification ${WORK_MODELS}/cifar_bgr.bin ${WORK_MODELS}/photo32.ppm)
if(NOT last_out MATCHES "TOP 0 result id: [0-9]+, prob: ")
  message(FATAL_ERROR "out-of-tree classification printed:\n${last_out}")
endif()
# the static library is self-contained
file(WRITE ${WORK}/v.c "#include <stdio.h>\n#include \"dnn/hb_dnn.h\"\n"
           "int main(void) { puts(hbDNNGetVersion()); return 0; }\n")
run(${CC} -std=c11 ${WORK}/v.c -I${PREFIX}/include ${PREFIX}/lib/libdnn.a -lpthread -lm -o
    ${WORK}/v_static)
run(${WORK}/v_static)
if(NOT last_out MATCHES "hbtoolchain")
  message(FATAL_ERROR "static program printed: ${last_out}")
endif()
find_program(PKGCONFIG pkg-config)
if(PKGCONFIG)
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/lib/pkgconfig)
  run(${PKGCONFIG} --cflags --libs hbdnn)
  separate_arguments(flags UNIX_COMMAND "${last_out}")
  run(${CC} -std=c11 ${WORK}/v.c ${flags} -Wl,-rpath,${PREFIX}/lib -o ${WORK}/v_shared)
  run(${WORK}/v_shared)
endif()
message(STATUS "installed and built out of tree in ${WORK}")
