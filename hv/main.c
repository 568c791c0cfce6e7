/* The boot CPU's path from the loader to a running hypervisor. */
#include <keel/apic.h>
#include <keel/bootinfo.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/cpufeat.h>
#include <keel/dom0.h>
#include <keel/heap.h>
#include <keel/hvm.h>
#include <keel/sched.h>
#include <keel/testrun.h>
#include <keel/mm.h>
#include <keel/percpu.h>
#include <keel/platform.h>
#include <keel/printk.h>
#include <keel/selftest.h>
#include <keel/shutdown.h>
#include <keel/smp.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/timer.h>
#include <keel/version.h>

static struct boot_info boot_info;

/* Test guests that run while dom0 does (on the other CPUs): their verdicts go to the log, and
 * the run ends when dom0 does. */
static void tests_beside_dom0(void)
{
    testrun_run_all(false);             /* dom0 allocates meanwhile: no exact leak check */
}

__noreturn void kmain(uint32_t magic, uint32_t info_pa);

/* Before anything can fault usefully: a console with defaults and the exception handlers. */
static void early_init(void)
{
    time_record_boot_tsc();
    wrmsr(MSR_GS_BASE, 0);
    printk_init();
    console_init(opts.console_port, opts.console_baud);
    idt_init();
    idt_load();
}

static void parse_boot_info(uint32_t magic, uint32_t info_pa, bool directmap)
{
    const void *info = directmap ? phys_to_virt(info_pa) : (const void *)(uintptr_t)info_pa;

    if (magic != MB2_BOOTLOADER_MAGIC)
        panic("not started by a multiboot2 loader (magic %#x); boot Keel with GRUB's multiboot2",
              magic);
    memset(&boot_info, 0, sizeof(boot_info));
    if (mb2_parse(info, info_pa, &boot_info))
        panic("the multiboot2 information at %#x is malformed", info_pa);
    memmap_normalise(&boot_info);
}

static void print_memory(const struct boot_info *bi)
{
    static const char *const types[] = { "?", "RAM", "reserved", "ACPI", "ACPI NVS", "bad" };
    struct mem_stats st;

    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        const struct mem_region *m = &bi->mem[i];

        pr_debug("e820: %016llx-%016llx %s\n", (unsigned long long)m->base,
                 (unsigned long long)(m->base + m->len - 1), m->type < 6 ? types[m->type] : "?");
    }
    mm_get_stats(&st);
    pr_info("memory: %llu KiB RAM, %llu KiB free for the hypervisor and guests, image %llu KiB\n",
            (unsigned long long)(st.ram_bytes >> 10), (unsigned long long)(st.free_bytes >> 10),
            (unsigned long long)((uint64_t)(__image_end - __image_start) >> 10));
}

static void print_banner(const struct boot_info *bi)
{
    pr_info("Keel hypervisor %s (x86-64), commit %s\n", KEEL_VERSION, KEEL_COMMIT);
    pr_info("boot: loaded by %s%s, command line: %s\n", bi->loader_name[0] ? bi->loader_name : "?",
            bi->efi_system_table ? " (UEFI)" : " (BIOS)", bi->cmdline);
    if (bi->efi_system_table)
        pr_info("boot: EFI system table at %llx (boot services %s)\n",
                (unsigned long long)bi->efi_system_table,
                bi->efi_boot_services_left ? "still running" : "exited");
}

static __attribute__((noinline)) void crash_test(void)
{
    if (!strcmp(opts.crash, "pf")) {
        volatile uint64_t *bad = (volatile uint64_t *)0x10;

        pr_info("crash test: reading an unmapped address\n");
        __asm__ volatile("" : "+r"(bad));       /* hide the constant from the compiler */
        (void)*bad;
    } else if (!strcmp(opts.crash, "ud")) {
        pr_info("crash test: executing UD2\n");
        __asm__ volatile("ud2");
    }
}

static void bring_up_cpus(void)
{
    unsigned int online;

    lapic_init_bsp(acpi.lapic_addr);
    lapic_init_cpu();
    tsc_calibrate();
    wallclock_init();
    lapic_timer_calibrate();
    timer_cpu_init();
    sched_cpu_init();
    console_input_start();
    irq_enable();
    online = smp_boot_aps(&acpi);
    pr_info("smp: %u of %u CPUs online\n", online, acpi.nr_cpus);
}

__noreturn void kmain(uint32_t magic, uint32_t info_pa)
{
    bool ok;

    early_init();
    parse_boot_info(magic, info_pa, false);
    options_parse(boot_info.cmdline);
    console_init(opts.console_port, opts.console_baud);
    print_banner(&boot_info);
    pte_nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
    mm_init(&boot_info);
    parse_boot_info(magic, info_pa, true);      /* strings now point into the direct map */
    mm_drop_identity_map();
    smp_init_bsp();
    print_memory(&boot_info);
    cpu_features_detect();
    cpu_features_print();
    hvm_init();
    platform_acpi_init(&boot_info);
    if (opts.bootdump)
        platform_bootdump(&boot_info);
    pic_disable();
    bring_up_cpus();
    ok = boot_selftest();
    if (opts.bench)
        bench_native();
    crash_test();
    pr_info("Keel: boot %s\n", ok ? "complete" : "FAILED");
    if (hvm && dom0_present(&boot_info))
        dom0_build_and_run(&boot_info, testrun_collect(&boot_info) ? tests_beside_dom0 : NULL);
    if (testrun_collect(&boot_info))
        ok = (hvm ? testrun_run_all(true) : false) && ok;
    test_exit(ok);
    sched_idle_loop();
}
