# Make the models and inputs of the samples' tests in WORK (run by ctest, see CMakeLists.txt):
#  cifar_nv12.bin  cifar10_quick (Caffe, trained on BGR p - 128) with input_type_rt nv12
#  cifar_bgr.bin, cifar_yuv444.bin, cifar_rgb.bin  the same with input_type_rt bgr, yuv444, rgb
#  fmnist.bin      the Fashion-MNIST CNN (pixel / 255) with input_type_rt gray
#  photo32.ppm / photo64.ppm  a photo at 32x32, and the same pixels doubled to 64x64;
#  photo32.rgb / photo32.nv12  the 32x32 pixels raw, and as NV12 by the converter's conversion
#  fmnist_test.idx / fmnist_labels.idx  300 test images and labels in IDX form
file(MAKE_DIRECTORY ${WORK})
set(P ${SRC}/tests/data/accuracy/photos)
file(GLOB photos ${SRC}/tests/data/accuracy/photos/*.jpg ${SRC}/tests/data/accuracy/photos/*.png)
list(LENGTH photos n)
if(n LESS 2)
  message(FATAL_ERROR "need calibration photos in ${SRC}/tests/data/accuracy/photos")
endif()
list(SUBLIST photos 0 8 calib)
set(calib_args)
foreach(c ${calib})
  list(APPEND calib_args --calib ${c})
endforeach()
list(GET photos 0 photo)
file(WRITE ${WORK}/photo.txt "${photo}")
set(M ${SRC}/tests/data/models/caffe/cifar10_quick)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}\nfailed (${rc}): ${out}${err}")
  endif()
endfunction()
foreach(rt nv12 bgr yuv444 rgb)
  run(${MKBIN} bin -o ${WORK}/cifar_${rt}.bin -q ${WORK}/cifar_${rt}_quantized.onnx --type-rt ${rt}
      --type-train bgr --mean 128 --scale 1 --caffe ${M}/cifar10_quick.prototxt
      ${M}/cifar10_quick_iter_5000.caffemodel ${calib_args})
endforeach()
run(${MKBIN} bin -o ${WORK}/fmnist.bin -q ${WORK}/fmnist_quantized.onnx --type-rt gray
    --type-train gray --mean 0 --scale 0.00392156862745098 --onnx
    ${SRC}/tests/data/models/fmnist/fmnist_cnn.onnx --calib-npy
    ${SRC}/tests/data/accuracy/fmnist_calib100.npy)
run(${MKBIN} ppm ${photo} 32 32 1 ${WORK}/photo32.ppm)
run(${MKBIN} ppm ${photo} 32 32 2 ${WORK}/photo64.ppm)
run(${MKBIN} ppm ${photo} 32 32 1 ${WORK}/photo32.rgb)
run(${MKBIN} ppm ${photo} 32 32 1 ${WORK}/photo32.nv12)
run(${MKBIN} idx ${SRC}/tests/data/accuracy/fmnist_test300.npy
    ${SRC}/tests/data/accuracy/fmnist_test300_labels.npy ${WORK}/fmnist_test.idx
    ${WORK}/fmnist_labels.idx)
