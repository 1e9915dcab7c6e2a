/* Protobuf text format -> protobuf-c message, by reflection over the generated descriptors.
 *
 * A one-token-lookahead recursive descent parser. Every value is attached to the message tree as
 * soon as it is made, so on any error the whole tree is released with
 * protobuf_c_message_free_unpacked (which frees with the same libc allocator used here).
 * Repeated fields grow to power-of-two capacities: an array whose count is 0 or a power of two
 * is full.
 */
#include "prototxt.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH    100
#define MAX_NAME_LEN 128

typedef enum tok_kind { TK_EOF, TK_IDENT, TK_NUMBER, TK_STRING, TK_PUNCT } tok_kind;

typedef struct tok {
    tok_kind kind;
    const char *p; /* first byte in the text (the opening quote of a string) */
    size_t n;      /* length in bytes */
    int line, col; /* 1-based position of p */
} tok;

typedef struct parser {
    const char *s;
    size_t len, pos;
    int line, col; /* position of s[pos] */
    tok cur;       /* the lookahead token */
    const char *file;
    const ProtobufCMessageDescriptor *const *lenient;
    int depth;
    char *err;
    size_t errlen;
} parser;

static hbg_status perr_at(parser *P, int line, int col, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Record "file:line:col: message" and return st. */
static hbg_status perr_at(parser *P, int line, int col, hbg_status st, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (P->err && P->errlen)
        snprintf(P->err, P->errlen, "%s:%d:%d: %s", P->file, line, col, msg);
    return st;
}

#define PERR(P, t, st, ...) perr_at((P), (t)->line, (t)->col, (st), __VA_ARGS__)

/* ---- lexer ------------------------------------------------------------------------------- */

static void advance(parser *P, size_t n)
{
    for (size_t i = 0; i < n && P->pos < P->len; i++, P->pos++) {
        if (P->s[P->pos] == '\n') {
            P->line++;
            P->col = 1;
        } else {
            P->col++;
        }
    }
}

static int is_ident_start(int c)
{
    return isalpha(c) || c == '_';
}

static int is_ident_char(int c)
{
    return isalnum(c) || c == '_';
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the string token t (quotes included) into dst (may be NULL to only check it); *n gets
 * the decoded length. The lexer guarantees that every backslash is followed by a byte before
 * the closing quote. */
static hbg_status decode_string(parser *P, const tok *t, char *dst, size_t *n)
{
    const char *p = t->p;
    const size_t end = t->n - 1;
    size_t o = 0;
    for (size_t i = 1; i < end;) {
        int c = (unsigned char)p[i++];
        if (c == '\\') {
            const size_t at = i - 1;
            c = (unsigned char)p[i++];
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'v':
                c = '\v';
                break;
            case '\\':
            case '\'':
            case '"':
            case '?':
                break;
            case 'x': {
                int v = 0, digits = 0;
                while (digits < 2 && i < end && hex_value((unsigned char)p[i]) >= 0)
                    v = v * 16 + hex_value((unsigned char)p[i++]), digits++;
                if (!digits)
                    return perr_at(P, t->line, t->col + (int)at, HBG_E_FORMAT,
                                   "\\x escape without hex digits");
                c = v;
                break;
            }
            default:
                if (c >= '0' && c <= '7') {
                    int v = c - '0', digits = 1;
                    while (digits < 3 && i < end && p[i] >= '0' && p[i] <= '7')
                        v = v * 8 + (p[i++] - '0'), digits++;
                    if (v > 255)
                        return perr_at(P, t->line, t->col + (int)at, HBG_E_FORMAT,
                                       "octal escape \\%.3s is above 255", p + at + 1);
                    c = v;
                    break;
                }
                if (isprint(c))
                    return perr_at(P, t->line, t->col + (int)at, HBG_E_FORMAT,
                                   "invalid escape '\\%c' in a string", c);
                return perr_at(P, t->line, t->col + (int)at, HBG_E_FORMAT,
                               "invalid escape (backslash before byte 0x%02x) in a string", c);
            }
        }
        if (dst)
            dst[o] = (char)c;
        o++;
    }
    *n = o;
    return HBG_OK;
}

/* Make the next token the lookahead P->cur. */
static hbg_status lex(parser *P)
{
    const char *s = P->s;
    for (;;) {
        if (P->pos >= P->len) {
            P->cur = (tok){TK_EOF, s + P->len, 0, P->line, P->col};
            return HBG_OK;
        }
        const char c = s[P->pos];
        if (c == '#') {
            while (P->pos < P->len && s[P->pos] != '\n')
                advance(P, 1);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            advance(P, 1);
        } else {
            break;
        }
    }
    tok t = {TK_PUNCT, s + P->pos, 0, P->line, P->col};
    const int c = (unsigned char)s[P->pos];
    size_t e = P->pos;
    if (is_ident_start(c)) {
        while (e < P->len && is_ident_char((unsigned char)s[e]))
            e++;
        t.kind = TK_IDENT;
    } else if (isdigit(c) || (c == '.' && e + 1 < P->len && isdigit((unsigned char)s[e + 1]))) {
        const int hex = c == '0' && e + 1 < P->len && (s[e + 1] == 'x' || s[e + 1] == 'X');
        while (e < P->len) {
            const int d = (unsigned char)s[e];
            if (isalnum(d) || d == '.' ||
                ((d == '+' || d == '-') && !hex && (s[e - 1] == 'e' || s[e - 1] == 'E')))
                e++;
            else
                break;
        }
        t.kind = TK_NUMBER;
    } else if (c == '"' || c == '\'') {
        e++;
        while (e < P->len && s[e] != c && s[e] != '\n')
            e += (s[e] == '\\' && e + 1 < P->len && s[e + 1] != '\n') ? 2 : 1;
        if (e >= P->len || s[e] != c)
            return PERR(P, &t, HBG_E_FORMAT, "unterminated string");
        e++;
        t.kind = TK_STRING;
    } else if (c != '\0' && strchr(":{}<>[],;-", c)) {
        e++;
    } else if (isprint(c)) {
        return PERR(P, &t, HBG_E_FORMAT, "unexpected character '%c'", c);
    } else {
        return PERR(P, &t, HBG_E_FORMAT, "unexpected byte 0x%02x", (unsigned)c);
    }
    t.n = e - P->pos;
    if (t.kind == TK_STRING) {
        size_t n;
        hbg_status st = decode_string(P, &t, NULL, &n);
        if (st != HBG_OK)
            return st;
    }
    advance(P, t.n);
    P->cur = t;
    return HBG_OK;
}

static int is_punct(const parser *P, char ch)
{
    return P->cur.kind == TK_PUNCT && P->cur.p[0] == ch;
}

/* Consume the punctuation ch if it is next: 1 when consumed, 0 when not, -1 on a lexer error
 * (recorded in P->err). */
static int accept(parser *P, char ch)
{
    if (!is_punct(P, ch))
        return 0;
    return lex(P) == HBG_OK ? 1 : -1;
}

/* What the lookahead is, for messages: "'foo'", "end of text", ... */
static const char *tok_desc(const tok *t, char *buf, size_t size)
{
    if (t->kind == TK_EOF)
        snprintf(buf, size, "the end of the text");
    else
        snprintf(buf, size, "'%.*s'", t->n > 40 ? 40 : (int)t->n, t->p);
    return buf;
}

/* Token text as a NUL-terminated name in buf; 0 if it does not fit. */
static int tok_name(const tok *t, char *buf, size_t size)
{
    if (t->n >= size)
        return 0;
    memcpy(buf, t->p, t->n);
    buf[t->n] = '\0';
    return 1;
}

/* ---- numbers ----------------------------------------------------------------------------- */

typedef enum num_rc { NUM_OK, NUM_NOT_INT, NUM_OVERFLOW } num_rc;

/* An integer literal (decimal, 0x hex, 0-prefixed octal) into *v. */
static num_rc parse_uint(const tok *t, uint64_t *v)
{
    const char *p = t->p;
    size_t i = 0, n = t->n;
    unsigned base = 10;
    uint64_t x = 0;
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        i = 2;
        if (n == 2)
            return NUM_NOT_INT;
    } else if (n >= 2 && p[0] == '0') {
        base = 8;
        i = 1;
    }
    for (; i < n; i++) {
        const int d = hex_value((unsigned char)p[i]);
        if (d < 0 || (unsigned)d >= base)
            return NUM_NOT_INT;
        if (x > (UINT64_MAX - (unsigned)d) / base)
            return NUM_OVERFLOW;
        x = x * base + (unsigned)d;
    }
    *v = x;
    return NUM_OK;
}

/* A float literal: a hex integer, or decimal digits with '.', an exponent and an optional f/F
 * suffix (a leading 0 does not make it octal). */
static int parse_float_tok(const tok *t, double *v)
{
    char buf[80];
    size_t n = t->n;
    uint64_t u;
    if (n >= 2 && t->p[0] == '0' && (t->p[1] == 'x' || t->p[1] == 'X')) {
        if (parse_uint(t, &u) != NUM_OK)
            return 0;
        *v = (double)u;
        return 1;
    }
    if (t->p[n - 1] == 'f' || t->p[n - 1] == 'F')
        n--;
    if (n == 0 || n >= sizeof buf)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)t->p[i]) && !strchr(".eE+-", t->p[i]))
            return 0;
    memcpy(buf, t->p, n);
    buf[n] = '\0';
    char *end;
    *v = strtod(buf, &end);
    return end == buf + n;
}

static int name_is(const tok *t, const char *name)
{
    return t->kind == TK_IDENT && strlen(name) == t->n && memcmp(t->p, name, t->n) == 0;
}

static int name_is_nocase(const tok *t, const char *name)
{
    if (t->kind != TK_IDENT || strlen(name) != t->n)
        return 0;
    for (size_t i = 0; i < t->n; i++)
        if (tolower((unsigned char)t->p[i]) != name[i])
            return 0;
    return 1;
}

/* ---- storing values ---------------------------------------------------------------------- */

/* Make room for element n of a repeated field (see the file comment on capacities). */
static int grow(void **arr, size_t n, size_t size)
{
    if (n & (n - 1))
        return 1;
    const size_t cap = n ? 2 * n : 1;
    if (cap > SIZE_MAX / size)
        return 0;
    void *p = realloc(*arr, cap * size);
    if (!p)
        return 0;
    *arr = p;
    return 1;
}

static size_t scalar_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return sizeof(int32_t);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(int64_t);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 0; /* bytes: not used by any schema read here */
    }
}

/* 1 when the singular field f of m already has a value. */
static int is_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const void *p = *(void *const *)(const void *)(base + f->offset);
        return p != NULL && p != f->default_value;
    }
    return f->quantifier_offset &&
           *(const protobuf_c_boolean *)(const void *)(base + f->quantifier_offset);
}

/* Store the value at val (scalar_size(f->type) bytes) into field f of m: appended to a repeated
 * field, or set (with its has_ flag) for a singular one that the caller checked is unset. */
static int store(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const void *val)
{
    char *base = (char *)m;
    const size_t size = scalar_size(f->type);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *n = (size_t *)(void *)(base + f->quantifier_offset);
        void **arr = (void **)(void *)(base + f->offset);
        if (!grow(arr, *n, size))
            return 0;
        memcpy((char *)*arr + *n * size, val, size);
        (*n)++;
        return 1;
    }
    memcpy(base + f->offset, val, size);
    if (f->quantifier_offset)
        *(protobuf_c_boolean *)(void *)(base + f->quantifier_offset) = 1;
    return 1;
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m)
        d->message_init(m);
    return m;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static hbg_status parse_body(parser *P, ProtobufCMessage *m, const ProtobufCMessageDescriptor *d,
                             char end);

static hbg_status nomem(parser *P)
{
    return PERR(P, &P->cur, HBG_E_NOMEM, "out of memory");
}

/* Concatenated string tokens -> a new NUL-terminated string in *out. */
static hbg_status parse_string(parser *P, const ProtobufCFieldDescriptor *f, char **out)
{
    const tok first = P->cur;
    char *s = NULL, buf[64];
    size_t n = 0;
    hbg_status st = HBG_OK;
    if (P->cur.kind != TK_STRING)
        return PERR(P, &P->cur, HBG_E_FORMAT, "field '%s' takes a string, not %s", f->name,
                    tok_desc(&P->cur, buf, sizeof buf));
    while (P->cur.kind == TK_STRING) {
        size_t k;
        decode_string(P, &P->cur, NULL, &k); /* checked by the lexer */
        char *p = realloc(s, n + k + 1);
        if (!p) {
            st = nomem(P);
            goto fail;
        }
        s = p;
        decode_string(P, &P->cur, s + n, &k);
        n += k;
        if ((st = lex(P)) != HBG_OK)
            goto fail;
    }
    s[n] = '\0';
    if (strlen(s) != n) {
        st = PERR(P, &first, HBG_E_FORMAT, "string for field '%s' contains a NUL byte", f->name);
        goto fail;
    }
    *out = s;
    return HBG_OK;
fail:
    free(s);
    return st;
}

/* One scalar value for field f (the ':' is consumed) into m. */
static hbg_status parse_scalar(parser *P, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    union {
        int32_t i32;
        uint32_t u32;
        int64_t i64;
        uint64_t u64;
        float f32;
        double f64;
        protobuf_c_boolean b;
        int e;
        char *s;
    } v;
    char buf[MAX_NAME_LEN];
    const tok at = P->cur;
    hbg_status st;
    int neg = 0;

    if (f->type == PROTOBUF_C_TYPE_STRING) {
        if ((st = parse_string(P, f, &v.s)) != HBG_OK)
            return st;
        if (!store(m, f, &v)) {
            free(v.s);
            return nomem(P);
        }
        return HBG_OK;
    }
    if (f->type != PROTOBUF_C_TYPE_BOOL && (neg = accept(P, '-')) < 0)
        return HBG_E_FORMAT;
    const tok t = P->cur;
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL: {
        uint64_t u = 2;
        if (name_is(&t, "true") || name_is(&t, "True") || name_is(&t, "t"))
            v.b = 1;
        else if (name_is(&t, "false") || name_is(&t, "False") || name_is(&t, "f"))
            v.b = 0;
        else if (t.kind == TK_NUMBER && parse_uint(&t, &u) == NUM_OK && u <= 1)
            v.b = (protobuf_c_boolean)u;
        else
            return PERR(P, &t, HBG_E_FORMAT, "field '%s' takes true or false, not %s", f->name,
                        tok_desc(&t, buf, sizeof buf));
        break;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        const ProtobufCEnumValue *ev = NULL;
        uint64_t u;
        if (t.kind == TK_IDENT && !neg) {
            if (tok_name(&t, buf, sizeof buf))
                ev = protobuf_c_enum_descriptor_get_value_by_name(ed, buf);
            if (!ev)
                return PERR(P, &t, HBG_E_FORMAT, "'%.*s' is not a value of enum %s (field '%s')",
                            (int)(t.n > 64 ? 64 : t.n), t.p, ed->name, f->name);
        } else if (t.kind == TK_NUMBER && parse_uint(&t, &u) == NUM_OK && u <= INT32_MAX) {
            ev = protobuf_c_enum_descriptor_get_value(ed, neg ? -(int)u : (int)u);
            if (!ev)
                return PERR(P, &at, HBG_E_FORMAT, "%s%llu is not a value of enum %s (field '%s')",
                            neg ? "-" : "", (unsigned long long)u, ed->name, f->name);
        } else {
            return PERR(P, &at, HBG_E_FORMAT, "field '%s' takes a value of enum %s, not %s",
                        f->name, ed->name, tok_desc(&at, buf, sizeof buf));
        }
        v.e = ev->value;
        break;
    }
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE: {
        double d;
        if (name_is_nocase(&t, "inf") || name_is_nocase(&t, "infinity"))
            d = HUGE_VAL;
        else if (name_is_nocase(&t, "nan"))
            d = NAN;
        else if (t.kind != TK_NUMBER || !parse_float_tok(&t, &d))
            return PERR(P, &at, HBG_E_FORMAT, "field '%s' takes a number, not %s", f->name,
                        tok_desc(&at, buf, sizeof buf));
        d = neg ? -d : d;
        if (f->type == PROTOBUF_C_TYPE_FLOAT) {
            if (isfinite(d) && fabs(d) > FLT_MAX)
                return PERR(P, &at, HBG_E_FORMAT, "%g is out of range for float field '%s'", d,
                            f->name);
            v.f32 = (float)d;
        } else {
            v.f64 = d;
        }
        break;
    }
    default: { /* the integer types */
        uint64_t u;
        num_rc rc = t.kind == TK_NUMBER ? parse_uint(&t, &u) : NUM_NOT_INT;
        const int is64 = scalar_size(f->type) == 8;
        const int is_unsigned =
            f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_FIXED32 ||
            f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64;
        if (rc == NUM_NOT_INT)
            return PERR(P, &at, HBG_E_FORMAT, "field '%s' takes an integer, not %s", f->name,
                        tok_desc(&at, buf, sizeof buf));
        const uint64_t lim = is_unsigned ? (is64 ? UINT64_MAX : UINT32_MAX)
                             : neg ? (is64 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT32_MAX + 1)
                                   : (is64 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX);
        if (rc == NUM_OVERFLOW || (neg && is_unsigned) || u > lim)
            return PERR(P, &at, HBG_E_FORMAT, "%s%.*s is out of range for field '%s'",
                        neg ? "-" : "", (int)(t.n > 40 ? 40 : t.n), t.p, f->name);
        if (is_unsigned && is64)
            v.u64 = u;
        else if (is_unsigned)
            v.u32 = (uint32_t)u;
        else if (is64)
            v.i64 = neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) : (int64_t)u;
        else
            v.i32 = neg ? (int32_t) - (int64_t)u : (int32_t)u;
        break;
    }
    }
    if ((st = lex(P)) != HBG_OK)
        return st;
    return store(m, f, &v) ? HBG_OK : nomem(P);
}

/* A message value ('{' or '<' is the lookahead) for field f of m, or skipped when f is NULL. */
static hbg_status parse_message(parser *P, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char end = is_punct(P, '{') ? '}' : '>';
    const tok open = P->cur;
    ProtobufCMessage *sub = NULL;
    hbg_status st;
    if (++P->depth > MAX_DEPTH)
        return PERR(P, &open, HBG_E_FORMAT, "messages nested deeper than %d", MAX_DEPTH);
    if (f) {
        if (!(sub = new_message(f->descriptor)))
            return nomem(P);
        if (!store(m, f, &sub)) {
            protobuf_c_message_free_unpacked(sub, NULL);
            return nomem(P);
        }
    }
    if ((st = lex(P)) != HBG_OK ||
        (st = parse_body(P, sub, f ? f->descriptor : NULL, end)) != HBG_OK)
        return st;
    P->depth--;
    return lex(P);
}

/* One value of field f (NULL: an unknown field being skipped); colon tells whether ':' came
 * before it. */
static hbg_status parse_value(parser *P, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                              const tok *name, int colon)
{
    char buf[64];
    if (is_punct(P, '{') || is_punct(P, '<')) {
        if (f && f->type != PROTOBUF_C_TYPE_MESSAGE)
            return PERR(P, &P->cur, HBG_E_FORMAT, "field '%s' is not a message: expected ':'",
                        f->name);
        return parse_message(P, m, f);
    }
    if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
        return PERR(P, &P->cur, HBG_E_FORMAT, "expected '{' after message field '%s', not %s",
                    f->name, tok_desc(&P->cur, buf, sizeof buf));
    if (!colon)
        return PERR(P, &P->cur, HBG_E_FORMAT, "expected ':' after field '%.*s', not %s",
                    (int)name->n, name->p, tok_desc(&P->cur, buf, sizeof buf));
    if (f)
        return parse_scalar(P, m, f);
    /* skipping: one scalar token (a string may be several) after an optional '-' */
    if (accept(P, '-') < 0)
        return HBG_E_FORMAT;
    if (P->cur.kind != TK_IDENT && P->cur.kind != TK_NUMBER && P->cur.kind != TK_STRING)
        return PERR(P, &P->cur, HBG_E_FORMAT, "expected a value for field '%.*s', not %s",
                    (int)name->n, name->p, tok_desc(&P->cur, buf, sizeof buf));
    const tok_kind kind = P->cur.kind;
    hbg_status st;
    do {
        if ((st = lex(P)) != HBG_OK)
            return st;
    } while (kind == TK_STRING && P->cur.kind == TK_STRING);
    return HBG_OK;
}

/* The value(s) after a field name (consumed): `: v`, `: [v, ...]`, `{...}`, `: {...}`. */
static hbg_status parse_field(parser *P, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                              const tok *name)
{
    char buf[64];
    hbg_status st;
    const int colon = accept(P, ':');
    if (colon < 0)
        return HBG_E_FORMAT;
    if (!is_punct(P, '[')) {
        if (f && f->label != PROTOBUF_C_LABEL_REPEATED && is_set(m, f))
            return PERR(P, name, HBG_E_FORMAT, "field '%s' is given twice", f->name);
        return parse_value(P, m, f, name, colon);
    }
    if (f && f->label != PROTOBUF_C_LABEL_REPEATED)
        return PERR(P, &P->cur, HBG_E_FORMAT, "field '%s' is not repeated: a list is not allowed",
                    f->name);
    if ((st = lex(P)) != HBG_OK)
        return st;
    if (is_punct(P, ']'))
        return lex(P);
    for (;;) {
        if ((st = parse_value(P, m, f, name, colon)) != HBG_OK)
            return st;
        if (is_punct(P, ']'))
            return lex(P);
        if (!is_punct(P, ','))
            return PERR(P, &P->cur, HBG_E_FORMAT,
                        "expected ',' or ']' in the list of '%.*s', not %s", (int)name->n, name->p,
                        tok_desc(&P->cur, buf, sizeof buf));
        if ((st = lex(P)) != HBG_OK)
            return st;
    }
}

static int is_lenient(const parser *P, const ProtobufCMessageDescriptor *d)
{
    for (const ProtobufCMessageDescriptor *const *l = P->lenient; l && *l; l++)
        if (*l == d)
            return 1;
    return 0;
}

/* Fields of message m (type d) up to the punctuation end ('\0': the end of the text). With
 * d == NULL (inside a skipped value) every field is skipped. */
static hbg_status parse_body(parser *P, ProtobufCMessage *m, const ProtobufCMessageDescriptor *d,
                             char end)
{
    char buf[MAX_NAME_LEN];
    hbg_status st;
    for (;;) {
        if (end ? is_punct(P, end) : P->cur.kind == TK_EOF)
            return HBG_OK;
        if (P->cur.kind == TK_EOF)
            return PERR(P, &P->cur, HBG_E_FORMAT, "missing '%c' at the end of the text", end);
        if (is_punct(P, '['))
            return PERR(P, &P->cur, HBG_E_UNSUPPORTED,
                        "extension and Any fields ([...]) are not supported");
        if (P->cur.kind != TK_IDENT)
            return PERR(P, &P->cur, HBG_E_FORMAT, "expected a field name, not %s",
                        tok_desc(&P->cur, buf, sizeof buf));
        const tok name = P->cur;
        const ProtobufCFieldDescriptor *f = NULL;
        if (d && tok_name(&name, buf, sizeof buf))
            f = protobuf_c_message_descriptor_get_field_by_name(d, buf);
        if (d && !f && !is_lenient(P, d))
            return PERR(P, &name, HBG_E_FORMAT, "unknown field '%.*s' in %s",
                        (int)(name.n > 64 ? 64 : name.n), name.p, d->name);
        if (f && !scalar_size(f->type))
            return PERR(P, &name, HBG_E_UNSUPPORTED, "field '%s' has a type (bytes) we do not read",
                        f->name);
        if ((st = lex(P)) != HBG_OK || (st = parse_field(P, m, f, &name)) != HBG_OK)
            return st;
        int sep = accept(P, ',');
        if (sep == 0)
            sep = accept(P, ';');
        if (sep < 0)
            return HBG_E_FORMAT;
    }
}

hbg_status hbc_prototxt_parse(const char *text, size_t len, const char *file,
                              const ProtobufCMessageDescriptor *desc,
                              const ProtobufCMessageDescriptor *const *lenient,
                              ProtobufCMessage **out, char *err, size_t errlen)
{
    parser P = {text, len, 0, 1, 1, {TK_EOF, text, 0, 1, 1}, file, lenient, 0, err, errlen};
    ProtobufCMessage *m = NULL;
    hbg_status st;
    *out = NULL;
    if (!(m = new_message(desc))) {
        st = nomem(&P);
        goto fail;
    }
    if ((st = lex(&P)) != HBG_OK || (st = parse_body(&P, m, desc, '\0')) != HBG_OK)
        goto fail;
    *out = m;
    return HBG_OK;
fail:
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return st;
}
