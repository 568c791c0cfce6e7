/*
 * A small AML encoder for the DSDT (firmware/aml.c). Every function appends to a struct aml; one
 * whose p is NULL only counts, which is how a block learns the length its PkgLength encodes and
 * how the DSDT is measured before anything is written.
 */
#ifndef KEEL_FW_AML_H
#define KEEL_FW_AML_H

#include <keel/types.h>

#define AML_NAME_OP 0x08
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_PREFIX 0x5b
#define AML_DEVICE_OP 0x82         /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR '\\'

struct aml {
    uint8_t *p;                     /* NULL: measure only */
    size_t len;
};

typedef void (*aml_body_fn)(struct aml *a, const void *arg);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *src, size_t n);
/* An integer constant in its shortest encoding (ZeroOp, OneOp, BytePrefix...). */
void aml_integer(struct aml *a, uint64_t v);
/* A NUL-terminated string constant. */
void aml_string(struct aml *a, const char *s);
/* Name(seg, ...): the caller appends the value. seg is a four-character name segment. */
void aml_name(struct aml *a, const char *seg);
/* op (oplen bytes), then PkgLength covering what body appends, then the body. */
void aml_block(struct aml *a, const uint8_t *op, size_t oplen, aml_body_fn body, const void *arg);

/* The DSDT's definition block after its header, for nr_cpus processors; with pvpanic, the panic
 * notifier's device at I/O port pvpanic_port. */
void fw_dsdt_aml(struct aml *a, unsigned int nr_cpus, bool pvpanic, uint16_t pvpanic_port);

#endif
