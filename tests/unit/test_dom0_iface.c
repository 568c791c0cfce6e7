/* Unit tests for hv/dom0_iface.c: the Keel interface device's PCI configuration space. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "shim.h"

#include "../../hv/dom0_iface.c"

static struct iface_cfg c;

static int setup(void **state)
{
    iface_cfg_init(&c);
    return 0;
}

static void test_identity(void **state)
{
    assert_int_equal(iface_cfg_read(&c, 0, 2), KEEL_IFACE_VENDOR);
    assert_int_equal(iface_cfg_read(&c, 2, 2), KEEL_IFACE_DEVICE);
    assert_int_equal(iface_cfg_read(&c, 0x09, 3), KEEL_IFACE_CLASS);
    assert_int_equal(iface_cfg_read(&c, 0x0e, 1), 0);                  /* header type 0 */
    assert_int_equal(iface_cfg_read(&c, 0x3d, 1), 0);                  /* no INTx pin */
    iface_cfg_write(&c, 0, 4, 0x12345678);                             /* read-only */
    assert_int_equal(iface_cfg_read(&c, 0, 4), KEEL_IFACE_VENDOR | KEEL_IFACE_DEVICE << 16);
    assert_int_equal(iface_cfg_read(&c, 0xfe, 4), iface_cfg_read(&c, 0xfe, 2));   /* past the end */
}

/* Sizing the BAR as Linux does, then placing it: it decodes only with memory decoding on. */
static void test_bar_sizing_and_decoding(void **state)
{
    iface_cfg_write(&c, 0x10, 4, 0xffffffff);
    assert_int_equal(iface_cfg_read(&c, 0x10, 4), 0xfffff000);
    iface_cfg_write(&c, 0x10, 4, 0xc0000123);
    assert_int_equal(iface_cfg_read(&c, 0x10, 4), 0xc0000000);
    assert_int_equal(iface_bar(&c), 0);
    iface_cfg_write(&c, 0x04, 2, 0x0002);
    assert_int_equal(iface_bar(&c), 0xc0000000);
    iface_cfg_write(&c, 0x12, 1, 0xab);                                /* a byte of it */
    assert_int_equal(iface_bar(&c), 0xc0ab0000);
    iface_cfg_write(&c, 0x14, 4, 0xffffffff);                          /* no second BAR */
    assert_int_equal(iface_cfg_read(&c, 0x14, 4), 0);
    iface_cfg_write(&c, 0x04, 2, 0);
    assert_int_equal(iface_bar(&c), 0);
}

/* The capability list has one entry, MSI; the MSI is valid only when enabled with an APIC
 * address, fixed or lowest-priority delivery and a vector of 32 or more. */
static void test_msi(void **state)
{
    uint32_t dest;
    uint8_t vec;
    bool logical;
    unsigned int cap = iface_cfg_read(&c, 0x34, 1);

    assert_true(iface_cfg_read(&c, 0x06, 2) & 0x10);
    assert_int_equal(iface_cfg_read(&c, cap, 1), 0x05);
    assert_int_equal(iface_cfg_read(&c, cap + 1, 1), 0);
    assert_int_equal(iface_cfg_read(&c, cap + 2, 2) & 0x80, 0);        /* 32-bit address */
    iface_cfg_write(&c, cap + 4, 4, 0xfee01000);
    iface_cfg_write(&c, cap + 8, 2, 0x0031);
    assert_false(iface_msi(&c, &dest, &logical, &vec));                /* not enabled */
    iface_cfg_write(&c, cap + 2, 2, 0xffff);
    assert_int_equal(iface_cfg_read(&c, cap + 2, 2), 1);               /* one vector, enabled */
    assert_true(iface_msi(&c, &dest, &logical, &vec));
    assert_int_equal(dest, 1);
    assert_false(logical);
    assert_int_equal(vec, 0x31);
    iface_cfg_write(&c, cap + 4, 4, 0xfee0300f);                       /* logical, low bits ignored */
    assert_int_equal(iface_cfg_read(&c, cap + 4, 4), 0xfee0300c);
    assert_true(iface_msi(&c, &dest, &logical, &vec) && logical && dest == 3);
    iface_cfg_write(&c, cap + 8, 2, 0x0410);                           /* NMI delivery */
    assert_false(iface_msi(&c, &dest, &logical, &vec));
    iface_cfg_write(&c, cap + 8, 2, 0x0010);                           /* vector 16 */
    assert_false(iface_msi(&c, &dest, &logical, &vec));
    iface_cfg_write(&c, cap + 8, 2, 0x0140);                           /* lowest priority */
    iface_cfg_write(&c, cap + 4, 4, 0x12340000);                       /* not an APIC */
    assert_false(iface_msi(&c, &dest, &logical, &vec));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_identity, setup),
        cmocka_unit_test_setup(test_bar_sizing_and_decoding, setup),
        cmocka_unit_test_setup(test_msi, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
