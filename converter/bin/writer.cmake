# hbc_binw: the .bin writer (builder, layout, atomic write) and the packer (docs/bin-format.md),
# on top of the reader hb_binfmt (runtime/bin), which validates every image before it is written.
# Plain C with no converter dependency: the top-level CMakeLists.txt includes this file alone when
# the converter is not built (the aarch64 build), so the libdnn tests can make their models there.
add_library(hbc_binw STATIC ${CMAKE_CURRENT_LIST_DIR}/src/bin_writer.c
                            ${CMAKE_CURRENT_LIST_DIR}/src/bin_pack.c)
target_include_directories(hbc_binw PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include
                           PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src)
target_link_libraries(hbc_binw PUBLIC hb_binfmt PRIVATE hb_warnings)
