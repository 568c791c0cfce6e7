/* The AML encoder (see aml.h): the few terms Keel's DSDT uses, and the DSDT body itself. */
#include "aml.h"
#include <keel/string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e

void aml_byte(struct aml *a, uint8_t b)
{
    if (a->p)
        a->p[a->len] = b;
    a->len++;
}

void aml_bytes(struct aml *a, const void *src, size_t n)
{
    if (a->p)
        memcpy(a->p + a->len, src, n);
    a->len += n;
}

static void aml_le(struct aml *a, uint64_t v, unsigned int bytes)
{
    for (unsigned int i = 0; i < bytes; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v <= 1) {
        aml_byte(a, v ? AML_ONE_OP : AML_ZERO_OP);
    } else if (v <= 0xff) {
        aml_byte(a, AML_BYTE_PREFIX);
        aml_le(a, v, 1);
    } else if (v <= 0xffff) {
        aml_byte(a, AML_WORD_PREFIX);
        aml_le(a, v, 2);
    } else if (v <= 0xffffffffu) {
        aml_byte(a, AML_DWORD_PREFIX);
        aml_le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PREFIX);
        aml_le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

void aml_name(struct aml *a, const char *seg)
{
    aml_byte(a, AML_NAME_OP);
    aml_bytes(a, seg, 4);
}

/*
 * PkgLength counts its own bytes too. One byte holds up to 63; otherwise bits 7-6 of the lead
 * byte give the number of bytes that follow, its bits 3-0 the low nibble, and each following
 * byte the next eight bits. Bodies here are far below the 2^28 limit.
 */
static void aml_pkglen(struct aml *a, size_t body)
{
    unsigned int n = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 : body + 3 < 0x100000 ? 3 : 4;
    size_t v = body + n;

    if (n == 1) {
        aml_byte(a, (uint8_t)v);
        return;
    }
    aml_byte(a, (uint8_t)((n - 1) << 6 | (v & 0xf)));
    aml_le(a, v >> 4, n - 1);
}

void aml_block(struct aml *a, const uint8_t *op, size_t oplen, aml_body_fn body, const void *arg)
{
    struct aml measure = { NULL, 0 };

    body(&measure, arg);
    aml_bytes(a, op, oplen);
    aml_pkglen(a, measure.len);
    body(a, arg);
}

/* --- the DSDT ---------------------------------------------------------------------------- */

/* \_S5: SLP_TYP 0 for PM1a and PM1b; S5 is SLP_TYP 0 on a PIIX4-style PM block. */
static void dsdt_s5_package(struct aml *a, const void *arg)
{
    aml_byte(a, 4);                         /* NumElements */
    for (unsigned int i = 0; i < 4; i++)
        aml_integer(a, 0);
}

/* Device (Cnnn) { Name (_HID, "ACPI0007") Name (_UID, n) }, n matching the MADT's UID. */
static void dsdt_cpu(struct aml *a, const void *arg)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned int uid = *(const unsigned int *)arg;
    char seg[4] = { 'C', hex[(uid >> 8) & 0xf], hex[(uid >> 4) & 0xf], hex[uid & 0xf] };

    aml_bytes(a, seg, sizeof(seg));
    aml_name(a, "_HID");
    aml_string(a, "ACPI0007");
    aml_name(a, "_UID");
    aml_integer(a, uid);
}

struct dsdt_args {
    unsigned int nr_cpus;
    bool pvpanic;
    uint16_t pvpanic_port;
};

/* ResourceTemplate () { IO (Decode16, port, port, 1, 1) }: BufferSize, the IO port descriptor
 * (small item 0x47), the end tag (0x79, checksum 0: none). */
static void dsdt_io_resource(struct aml *a, const void *arg)
{
    uint16_t port = *(const uint16_t *)arg;
    const uint8_t res[] = { 0x47, 0x01, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)port,
                            (uint8_t)(port >> 8), 0x01, 0x01, 0x79, 0x00 };

    aml_integer(a, sizeof(res));
    aml_bytes(a, res, sizeof(res));
}

/* Device (PEVT) { Name (_HID, "QEMU0001") Name (_CRS, <one I/O port>) }: Linux's pvpanic driver
 * reads the events the port supports and writes "panicked" to it when the kernel panics. */
static void dsdt_pvpanic(struct aml *a, const void *arg)
{
    static const uint8_t buffer_op[] = { AML_BUFFER_OP };

    aml_bytes(a, "PEVT", 4);
    aml_name(a, "_HID");
    aml_string(a, "QEMU0001");
    aml_name(a, "_CRS");
    aml_block(a, buffer_op, sizeof(buffer_op), dsdt_io_resource, arg);
}

static void dsdt_sb(struct aml *a, const void *arg)
{
    static const uint8_t device_op[] = { AML_EXT_PREFIX, AML_DEVICE_OP };
    const struct dsdt_args *d = arg;

    aml_bytes(a, (const char[]){ AML_ROOT_CHAR, '_', 'S', 'B', '_' }, 5);
    for (unsigned int uid = 0; uid < d->nr_cpus; uid++)
        aml_block(a, device_op, sizeof(device_op), dsdt_cpu, &uid);
    if (d->pvpanic)
        aml_block(a, device_op, sizeof(device_op), dsdt_pvpanic, &d->pvpanic_port);
}

void fw_dsdt_aml(struct aml *a, unsigned int nr_cpus, bool pvpanic, uint16_t pvpanic_port)
{
    static const uint8_t package_op[] = { AML_PACKAGE_OP }, scope_op[] = { AML_SCOPE_OP };
    struct dsdt_args d = { nr_cpus, pvpanic, pvpanic_port };

    aml_name(a, "_S5_");
    aml_block(a, package_op, sizeof(package_op), dsdt_s5_package, NULL);
    aml_block(a, scope_op, sizeof(scope_op), dsdt_sb, &d);
}
