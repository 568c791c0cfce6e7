/* The machine as firmware describes it (ACPI), and the legacy devices the hypervisor silences. */
#ifndef KEEL_PLATFORM_H
#define KEEL_PLATFORM_H

#include <keel/acpi.h>
#include <keel/bootinfo.h>

extern struct acpi_info acpi;

/* Finds the RSDP (loader tag, else the BIOS areas) and reads the tables; panics without a MADT. */
void platform_acpi_init(const struct boot_info *bi);
/* Masks both 8259 PICs after moving them off the exception vectors. */
void pic_disable(void);
/* Hex-dumps the boot information and ACPI tables (bootdump on the command line). */
void platform_bootdump(const struct boot_info *bi);

#endif
