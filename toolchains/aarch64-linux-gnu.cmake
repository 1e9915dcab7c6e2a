# Cross build for aarch64 Linux with Debian's gcc-aarch64-linux-gnu; tests run under qemu-user
# (package qemu-user) through CMAKE_CROSSCOMPILING_EMULATOR, with the cross C library's sysroot.
# The emulated CPU comes from the QEMU_CPU environment variable (default "max"; "cortex-a53" for
# an Armv8.0 core without the dot-product extension). scripts/test_arm.sh drives it.
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake \
#         -DHB_BUILD_CONVERTER=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(HB_ARM_SYSROOT /usr/aarch64-linux-gnu CACHE PATH "sysroot of the aarch64 C library")
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# C++ (only tests/dnn_api's header check needs it) from g++-aarch64-linux-gnu: scripts/test_arm.sh
# installs it; without it that check would compile with the build host's c++
find_program(HB_ARM_CXX aarch64-linux-gnu-g++)
if(HB_ARM_CXX)
  set(CMAKE_CXX_COMPILER ${HB_ARM_CXX})
endif()

# Libraries and headers of the target only (plus extra prefixes such as an unpacked arm64 cmocka,
# given in HB_ARM_EXTRA_ROOT); programs of the build host.
set(CMAKE_FIND_ROOT_PATH ${HB_ARM_SYSROOT} ${HB_ARM_EXTRA_ROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(HB_QEMU_AARCH64 qemu-aarch64)
if(HB_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HB_QEMU_AARCH64} -L ${HB_ARM_SYSROOT})
endif()
