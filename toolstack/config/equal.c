/*
 * Comparing two configs field by field (for the round-trip tests, and for callers that want to
 * know whether a redefinition changes anything). The domain type is left out: every type Keel
 * accepts runs the same way, and the canonical form writes keel.
 */
#include <string.h>

#include "domconfig_priv.h"

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool os_eq(const struct keel_os *a, const struct keel_os *b)
{
    return a->arch == b->arch && str_eq(a->machine, b->machine) && str_eq(a->kernel, b->kernel) &&
           str_eq(a->initrd, b->initrd) && str_eq(a->cmdline, b->cmdline) &&
           str_eq(a->loader, b->loader) && a->loader_type == b->loader_type &&
           a->loader_readonly == b->loader_readonly && a->nr_boot == b->nr_boot &&
           !memcmp(a->boot, b->boot, a->nr_boot * sizeof(a->boot[0]));
}

static bool disk_eq(const struct keel_disk *a, const struct keel_disk *b)
{
    return a->type == b->type && a->device == b->device && a->format == b->format &&
           str_eq(a->source, b->source) && str_eq(a->target, b->target) && a->bus == b->bus &&
           a->readonly == b->readonly;
}

static bool net_eq(const struct keel_net *a, const struct keel_net *b)
{
    return a->type == b->type && str_eq(a->source, b->source) && a->has_mac == b->has_mac &&
           (!a->has_mac || !memcmp(a->mac, b->mac, 6)) && a->model == b->model;
}

static bool chr_eq(const struct keel_chardev *a, const struct keel_chardev *b)
{
    return a->type == b->type && str_eq(a->path, b->path) && a->port == b->port &&
           a->target == b->target;
}

static bool gfx_eq(const struct keel_graphics *a, const struct keel_graphics *b)
{
    return a->type == b->type && a->port == b->port && str_eq(a->listen, b->listen);
}

#define ARRAY_EQ(a, b, arr, nr, eq)                                             \
    ({                                                                          \
        bool same_ = (a)->nr == (b)->nr;                                        \
        for (unsigned int i_ = 0; same_ && i_ < (a)->nr; i_++)                  \
            same_ = eq(&(a)->arr[i_], &(b)->arr[i_]);                           \
        same_;                                                                  \
    })

static bool video_eq(const struct keel_video *a, const struct keel_video *b)
{
    return a->model == b->model && a->vram_kib == b->vram_kib && a->heads == b->heads;
}

static bool input_eq(const struct keel_input *a, const struct keel_input *b)
{
    return a->type == b->type && a->bus == b->bus;
}

static bool devices_eq(const struct keel_domconfig *a, const struct keel_domconfig *b)
{
    return str_eq(a->emulator, b->emulator) && ARRAY_EQ(a, b, disks, nr_disks, disk_eq) &&
           ARRAY_EQ(a, b, nets, nr_nets, net_eq) &&
           ARRAY_EQ(a, b, serials, nr_serials, chr_eq) &&
           ARRAY_EQ(a, b, consoles, nr_consoles, chr_eq) &&
           ARRAY_EQ(a, b, graphics, nr_graphics, gfx_eq) &&
           ARRAY_EQ(a, b, videos, nr_videos, video_eq) &&
           ARRAY_EQ(a, b, inputs, nr_inputs, input_eq);
}

bool keel_domconfig_equal(const struct keel_domconfig *a, const struct keel_domconfig *b)
{
    return str_eq(a->name, b->name) && !memcmp(a->uuid, b->uuid, 16) &&
           a->memory == b->memory && a->current_memory == b->current_memory &&
           a->vcpus == b->vcpus && a->cpuset == b->cpuset && os_eq(&a->os, &b->os) &&
           a->features == b->features && a->sockets == b->sockets && a->cores == b->cores &&
           a->threads == b->threads && a->clock == b->clock &&
           a->on_poweroff == b->on_poweroff && a->on_reboot == b->on_reboot &&
           a->on_crash == b->on_crash && devices_eq(a, b);
}
