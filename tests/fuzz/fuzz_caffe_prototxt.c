/* Fuzz target: the protobuf text-format parser of the Caffe frontend (converter/caffe/prototxt.c)
 * must never crash, hang or leak on any bytes, parsed as a Caffe NetParameter with the loader's
 * lenient messages. */
#include <stddef.h>
#include <stdint.h>

#include "caffe_subset.pb-c.h"
#include "prototxt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ProtobufCMessageDescriptor *const lenient[] = {
        &caffe__net_parameter__descriptor, &caffe__layer_parameter__descriptor,
        &caffe__v1_layer_parameter__descriptor, NULL};
    ProtobufCMessage *m = NULL;
    char err[512];
    if (hbc_prototxt_parse((const char *)data, size, "fuzz", &caffe__net_parameter__descriptor,
                           lenient, &m, err, sizeof err) == HBG_OK)
        protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
