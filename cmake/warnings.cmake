# hb_warnings: the warning set every first-party target links; hb_thirdparty_warnings for generated code.
add_library(hb_warnings INTERFACE)
target_compile_options(hb_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition
  -Wpointer-arith -Wformat=2 -Wundef -Wvla -Wimplicit-fallthrough
  -Werror=implicit-function-declaration -Werror=incompatible-pointer-types -Werror=int-conversion
  -Werror=return-type)
if(HB_WERROR)
  target_compile_options(hb_warnings INTERFACE -Werror)
endif()
# CPU float results must not depend on whether the compiler fused a multiply-add (ARCHITECTURE 4).
add_compile_options(-ffp-contract=off)
if(HB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
# Strict C11 (no GNU extensions) plus POSIX.1-2008 for clock_gettime, pthreads, mmap.
add_compile_definitions(_POSIX_C_SOURCE=200809L)
