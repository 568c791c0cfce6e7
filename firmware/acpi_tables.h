/*
 * Layouts of the ACPI tables firmware/acpi.c builds (ACPI 6.0 field names, little-endian,
 * unaligned). Private to firmware/; each size is checked against the specification's.
 */
#ifndef KEEL_FW_ACPI_TABLES_H
#define KEEL_FW_ACPI_TABLES_H

#include <keel/types.h>

struct fw_rsdp {
    char signature[8];          /* "RSD PTR " */
    uint8_t checksum;           /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision;           /* 2: the XSDT fields below are valid */
    uint32_t rsdt_addr;
    uint32_t length;
    uint64_t xsdt_addr;
    uint8_t ext_checksum;       /* over all length bytes */
    uint8_t reserved[3];
} __packed;
BUILD_BUG_ON(sizeof(struct fw_rsdp) != 36);

struct fw_sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_sdt_header) != 36);

struct fw_gas {                 /* Generic Address Structure */
    uint8_t space_id;           /* 0 memory, 1 I/O */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;        /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_gas) != 12);

struct fw_fadt {
    struct fw_sdt_header hdr;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct fw_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct fw_gas x_pm1a_evt_blk;
    struct fw_gas x_pm1b_evt_blk;
    struct fw_gas x_pm1a_cnt_blk;
    struct fw_gas x_pm1b_cnt_blk;
    struct fw_gas x_pm2_cnt_blk;
    struct fw_gas x_pm_tmr_blk;
    struct fw_gas x_gpe0_blk;
    struct fw_gas x_gpe1_blk;
    struct fw_gas sleep_control_reg;
    struct fw_gas sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_fadt) != 276);

struct fw_facs {                /* no checksum; 64-byte aligned */
    char signature[4];          /* "FACS" */
    uint32_t length;
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t version;
    uint8_t reserved0[3];
    uint32_t ospm_flags;
    uint8_t reserved1[24];
} __packed;
BUILD_BUG_ON(sizeof(struct fw_facs) != 64);

struct fw_madt {
    struct fw_sdt_header hdr;
    uint32_t lapic_addr;
    uint32_t flags;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_madt) != 44);

struct fw_madt_lapic {          /* type 0 */
    uint8_t type, length;
    uint8_t uid;
    uint8_t apic_id;
    uint32_t flags;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_madt_lapic) != 8);

struct fw_madt_ioapic {         /* type 1 */
    uint8_t type, length;
    uint8_t id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_madt_ioapic) != 12);

struct fw_madt_iso {            /* type 2: interrupt source override */
    uint8_t type, length;
    uint8_t bus;                /* 0: ISA */
    uint8_t source;
    uint32_t gsi;
    uint16_t flags;             /* polarity in bits 1-0, trigger mode in bits 3-2 */
} __packed;
BUILD_BUG_ON(sizeof(struct fw_madt_iso) != 10);

struct fw_madt_lapic_nmi {      /* type 4 */
    uint8_t type, length;
    uint8_t uid;                /* 0xff: every processor */
    uint16_t flags;
    uint8_t lint;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_madt_lapic_nmi) != 6);

struct fw_hpet {
    struct fw_sdt_header hdr;
    uint32_t event_timer_block_id;      /* bits 31-0 of the capabilities register */
    struct fw_gas base;
    uint8_t hpet_number;
    uint16_t min_tick;
    uint8_t page_protection;
} __packed;
BUILD_BUG_ON(sizeof(struct fw_hpet) != 56);

#endif
