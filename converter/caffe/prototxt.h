/* The protobuf text format (.prototxt) read into protobuf-c messages.
 *
 * The parser walks the generated descriptors, so a prototxt and a binary .caffemodel (read with
 * protobuf_c_message_unpack) give the same C structs and go through one code path afterwards.
 *
 * Accepted: `field: value` and `field { ... }` / `field: { ... }` / `field < ... >`, lists
 * `field: [v, v]` for repeated fields, optional `,` or `;` after a field, `#` comments, enums by
 * name or number, bools (true/false/t/f/True/False/0/1), integers in decimal, hex (0x) and octal
 * (leading 0) with range checks per field type, floats (with an `f` suffix, inf, nan), strings in
 * single or double quotes with C escapes (\n \t \r \a \b \f \v \\ \' \" \? \ooo \xhh), adjacent
 * strings concatenated. A singular field given twice is an error, as in Caffe's own reader.
 * Refused: extensions and Any (`[name]`), a NUL byte inside a string, nesting deeper than 100.
 * Unknown fields are errors, except inside the messages listed as lenient, where their values
 * are checked for syntax and skipped.
 */
#ifndef HBC_CAFFE_PROTOTXT_H
#define HBC_CAFFE_PROTOTXT_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "hbg/graph.h"

/* Parse text[0..len) as a message of type desc. file names the text in messages, which read
 * "file:line:column: problem". lenient is a NULL-terminated list of message types whose unknown
 * fields are skipped (may be NULL). On success *out is a new message, released by the caller
 * with protobuf_c_message_free_unpacked(*out, NULL); on failure *out is NULL and err holds the
 * message (always NUL-terminated when errlen > 0). Returns HBG_E_FORMAT for syntax, type and range
 * errors, HBG_E_UNSUPPORTED for extensions, HBG_E_NOMEM. */
hbg_status hbc_prototxt_parse(const char *text, size_t len, const char *file,
                              const ProtobufCMessageDescriptor *desc,
                              const ProtobufCMessageDescriptor *const *lenient,
                              ProtobufCMessage **out, char *err, size_t errlen);

#endif /* HBC_CAFFE_PROTOTXT_H */
