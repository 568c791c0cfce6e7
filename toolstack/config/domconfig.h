/*
 * Domain definitions: libvirt domain XML (the subset in docs/domain-xml.md) read into a checked
 * struct keel_domconfig, and written back as canonical XML.
 *
 * Loading runs three passes and stops after the first that finds errors: a walk that names every
 * element and attribute Keel does not support (and every misplaced or repeated one), the RelaxNG
 * schema toolstack/config/domain.rng (built into the library) for structure, then the semantic
 * checks on values. Every problem becomes a struct keel_diag_item with file, line, element path,
 * message and, where there is one, a hint. Functions return 0 or a negative errno.
 */
#ifndef KEEL_DOMCONFIG_H
#define KEEL_DOMCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --- diagnostics ------------------------------------------------------------------------------ */

enum keel_diag_severity { KEEL_DIAG_ERROR, KEEL_DIAG_NOTE };

struct keel_diag_item {
    enum keel_diag_severity severity;
    char *file;                 /* the file name given to the loader */
    long line;                  /* 0: the file as a whole */
    char *path;                 /* element path, e.g. "/domain/devices/disk[2]/target"; "" if none */
    char *message;
    char *hint;                 /* NULL when there is nothing to suggest */
};

struct keel_diag {
    struct keel_diag_item *items;
    size_t count, cap;
    unsigned int errors, notes;
};

void keel_diag_init(struct keel_diag *d);
void keel_diag_free(struct keel_diag *d);
/* One line per item: "FILE:LINE: error: <element>: message (hint: ...)". */
void keel_diag_print(const struct keel_diag *d, FILE *f);
/* The printed form of one item into buf (cut to size); returns buf. */
char *keel_diag_format(const struct keel_diag_item *it, char *buf, size_t size);

/* --- the configuration ------------------------------------------------------------------------ */

#define KEEL_DOMCONFIG_MAX_VCPUS 64     /* the hypervisor's DOMAIN_MAX_VCPUS */
#define KEEL_DOMCONFIG_MAX_CPUS 64      /* host CPUs a cpuset can name */
#define KEEL_DOMCONFIG_NAME_MAX 31      /* the hypervisor keeps 32 bytes with the NUL */
#define KEEL_DOMCONFIG_MIN_MEMORY (16ull << 20)
#define KEEL_DOMCONFIG_MAX_BOOT 4
#define KEEL_DOMCONFIG_MAX_DEVICES 64   /* of each kind */

enum keel_dom_type { KEEL_DOMTYPE_KEEL, KEEL_DOMTYPE_KVM, KEEL_DOMTYPE_XEN };
enum keel_arch { KEEL_ARCH_X86_64, KEEL_ARCH_I686 };
enum keel_boot_dev { KEEL_BOOT_HD, KEEL_BOOT_CDROM, KEEL_BOOT_NETWORK, KEEL_BOOT_FD };
enum keel_loader_type { KEEL_LOADER_ROM, KEEL_LOADER_PFLASH };
enum keel_clock_offset { KEEL_CLOCK_UTC, KEEL_CLOCK_LOCALTIME };
enum keel_lifecycle { KEEL_LC_DESTROY, KEEL_LC_RESTART, KEEL_LC_PRESERVE };

#define KEEL_FEAT_ACPI (1u << 0)
#define KEEL_FEAT_APIC (1u << 1)
#define KEEL_FEAT_PAE (1u << 2)
#define KEEL_FEAT_HPET (1u << 3)        /* <clock><timer name='hpet' present='yes'/>; the default */

struct keel_os {
    enum keel_arch arch;
    char *machine;              /* "pc" (the default), "q35", "pc-i440fx-*", "pc-q35-*" */
    char *kernel, *initrd, *cmdline;    /* NULL when absent */
    char *loader;
    enum keel_loader_type loader_type;
    bool loader_readonly;
    unsigned int nr_boot;
    enum keel_boot_dev boot[KEEL_DOMCONFIG_MAX_BOOT];
};

enum keel_disk_type { KEEL_DISK_FILE, KEEL_DISK_BLOCK };
enum keel_disk_device { KEEL_DISK_DISK, KEEL_DISK_CDROM };
enum keel_disk_format { KEEL_DISK_RAW, KEEL_DISK_QCOW2 };
enum keel_disk_bus { KEEL_BUS_VIRTIO, KEEL_BUS_IDE, KEEL_BUS_SATA, KEEL_BUS_SCSI };

struct keel_disk {
    enum keel_disk_type type;
    enum keel_disk_device device;
    enum keel_disk_format format;       /* <driver name='qemu' type=...>, raw by default */
    char *source;               /* file or block device; NULL: a cdrom with no medium */
    char *target;               /* "vda", "hdc", ... */
    enum keel_disk_bus bus;
    bool readonly;
};

enum keel_net_type { KEEL_NET_NETWORK, KEEL_NET_BRIDGE, KEEL_NET_USER };
enum keel_net_model { KEEL_NET_VIRTIO, KEEL_NET_E1000, KEEL_NET_E1000E, KEEL_NET_RTL8139 };

struct keel_net {
    enum keel_net_type type;
    char *source;               /* the network or bridge name; NULL for user */
    bool has_mac;               /* without one, a MAC is chosen when the domain is created */
    uint8_t mac[6];
    enum keel_net_model model;  /* virtio by default */
};

enum keel_chr_kind { KEEL_CHR_SERIAL, KEEL_CHR_CONSOLE };
enum keel_chr_type { KEEL_CHR_PTY, KEEL_CHR_FILE, KEEL_CHR_STDIO };
enum keel_chr_target { KEEL_CHR_TARGET_SERIAL, KEEL_CHR_TARGET_VIRTIO };

struct keel_chardev {
    enum keel_chr_type type;
    char *path;                 /* type file only */
    unsigned int port;
    enum keel_chr_target target;        /* consoles only; serials are always serial */
};

enum keel_gfx_type { KEEL_GFX_VNC, KEEL_GFX_SPICE, KEEL_GFX_NONE };

struct keel_graphics {
    enum keel_gfx_type type;
    int port;                   /* -1: chosen when the domain starts (autoport) */
    char *listen;               /* NULL: the device model's default */
};

enum keel_video_model { KEEL_VIDEO_VGA, KEEL_VIDEO_CIRRUS, KEEL_VIDEO_VIRTIO, KEEL_VIDEO_QXL,
                        KEEL_VIDEO_BOCHS, KEEL_VIDEO_NONE };

struct keel_video {
    enum keel_video_model model;
    uint32_t vram_kib;          /* 0: the model's default */
    unsigned int heads;         /* 1 by default */
};

enum keel_input_type { KEEL_INPUT_MOUSE, KEEL_INPUT_TABLET, KEEL_INPUT_KEYBOARD };
enum keel_input_bus { KEEL_INPUT_PS2, KEEL_INPUT_USB, KEEL_INPUT_VIRTIO };

struct keel_input {
    enum keel_input_type type;
    enum keel_input_bus bus;
};

struct keel_domconfig {
    enum keel_dom_type type;    /* as written; kvm and xen are run as keel */
    char *name;
    uint8_t uuid[16];
    bool uuid_generated;        /* the XML had no <uuid> (not compared by keel_domconfig_equal) */
    uint64_t memory;            /* bytes, a whole number of KiB */
    uint64_t current_memory;    /* bytes, <= memory */
    unsigned int vcpus;
    uint64_t cpuset;            /* bit n: host CPU n; 0: no cpuset (any CPU) */
    struct keel_os os;
    uint32_t features;          /* KEEL_FEAT_* */
    unsigned int sockets, cores, threads;       /* all 0 when there is no <topology> */
    enum keel_clock_offset clock;
    enum keel_lifecycle on_poweroff, on_reboot, on_crash;
    char *emulator;
    struct keel_disk *disks;
    struct keel_net *nets;
    struct keel_chardev *serials, *consoles;
    struct keel_graphics *graphics;
    struct keel_video *videos;
    struct keel_input *inputs;
    unsigned int nr_disks, nr_nets, nr_serials, nr_consoles, nr_graphics, nr_videos, nr_inputs;
};

/* A domain already defined, which a new one may not duplicate. */
struct keel_domconfig_id {
    const char *name;
    uint8_t uuid[16];
};

/* What the host can give; a field that is 0 is not checked (beyond Keel's own limits). */
struct keel_host_limits {
    unsigned int max_vcpus;     /* vCPUs one domain may have */
    unsigned int nr_cpus;       /* host CPUs a cpuset may name: 0 .. nr_cpus - 1 */
    uint64_t free_bytes;        /* memory free for new domains */
    const struct keel_domconfig_id *existing;   /* definitions whose name and UUID are taken */
    size_t nr_existing;
};

/*
 * Reads path into *out, appending errors and notes to diag (which the caller initialised).
 * Returns 0, -EINVAL when the definition has errors (then *out holds nothing to free), or
 * another -errno (-ENOENT, -ENOMEM...), which is also in diag. host may be NULL.
 */
int keel_domconfig_load(const char *path, const struct keel_host_limits *host,
                        struct keel_domconfig *out, struct keel_diag *diag);
/* The same from memory: name is the file name the messages give. */
int keel_domconfig_load_mem(const char *buf, size_t len, const char *name,
                            const struct keel_host_limits *host, struct keel_domconfig *out,
                            struct keel_diag *diag);
/* Canonical XML: a fixed element order, memory in KiB, the UUID always written. */
int keel_domconfig_write(const struct keel_domconfig *cfg, FILE *f);
void keel_domconfig_free(struct keel_domconfig *cfg);
/* Equal definitions (every field, devices in order). */
bool keel_domconfig_equal(const struct keel_domconfig *a, const struct keel_domconfig *b);
/* Frees the schema the loader keeps once it has parsed it (at exit; optional). */
void keel_domconfig_cleanup(void);

/* Helpers the loader uses, exported for tests and the CLI. */
/* "512", unit "MiB" -> bytes; -EINVAL for a bad number or unit, -ERANGE on overflow. */
int keel_parse_memory(const char *value, const char *unit, uint64_t *bytes);
/* "0-3,^2,5" -> mask; -EINVAL for bad syntax, -ERANGE for a CPU >= max_cpu. */
int keel_parse_cpuset(const char *s, unsigned int max_cpu, uint64_t *mask);
/* The shortest form ("0-1,5"), into buf. */
void keel_format_cpuset(uint64_t mask, char *buf, size_t size);
/* "4dea22b3-1d52-d8f3-2516-782e98ab3fa0" or 32 hex digits. */
int keel_parse_uuid(const char *s, uint8_t uuid[16]);
void keel_format_uuid(const uint8_t uuid[16], char buf[37]);

#endif
