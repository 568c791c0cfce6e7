/*
 * The canonical form of a domain definition: elements in one fixed order, memory in KiB, every
 * default written out, the UUID always present. Loading what this writes gives an equal config,
 * and writing that again gives the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domconfig_priv.h"

/* Text or an attribute value (quoted with '), escaped. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f); break;
        }
    }
}

static void put_text(FILE *f, const char *indent, const char *name, const char *value)
{
    if (!value)
        return;
    fprintf(f, "%s<%s>", indent, name);
    put_escaped(f, value);
    fprintf(f, "</%s>\n", name);
}

static void write_head(const struct keel_domconfig *cfg, FILE *f)
{
    char uuid[37], cpuset[256];

    keel_format_uuid(cfg->uuid, uuid);
    fputs("<domain type='keel'>\n", f);
    put_text(f, "  ", "name", cfg->name);
    fprintf(f, "  <uuid>%s</uuid>\n", uuid);
    fprintf(f, "  <memory unit='KiB'>%llu</memory>\n", (unsigned long long)cfg->memory >> 10);
    fprintf(f, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
            (unsigned long long)cfg->current_memory >> 10);
    keel_format_cpuset(cfg->cpuset, cpuset, sizeof(cpuset));
    fprintf(f, "  <vcpu placement='static'%s%s%s>%u</vcpu>\n", cfg->cpuset ? " cpuset='" : "",
            cpuset, cfg->cpuset ? "'" : "", cfg->vcpus);
}

static void write_os(const struct keel_os *os, FILE *f)
{
    fprintf(f, "  <os>\n    <type arch='%s' machine='", word_name(words_arch, os->arch));
    put_escaped(f, os->machine ? os->machine : "pc");
    fputs("'>hvm</type>\n", f);
    if (os->loader) {
        fprintf(f, "    <loader readonly='%s' type='%s'>", os->loader_readonly ? "yes" : "no",
                word_name(words_loader_type, os->loader_type));
        put_escaped(f, os->loader);
        fputs("</loader>\n", f);
    }
    put_text(f, "    ", "kernel", os->kernel);
    put_text(f, "    ", "initrd", os->initrd);
    put_text(f, "    ", "cmdline", os->cmdline);
    for (unsigned int i = 0; i < os->nr_boot; i++)
        fprintf(f, "    <boot dev='%s'/>\n", word_name(words_boot, os->boot[i]));
    fputs("  </os>\n", f);
}

static void write_machine(const struct keel_domconfig *cfg, FILE *f)
{
    if (cfg->features & (KEEL_FEAT_ACPI | KEEL_FEAT_APIC | KEEL_FEAT_PAE)) {
        fputs("  <features>\n", f);
        if (cfg->features & KEEL_FEAT_ACPI)
            fputs("    <acpi/>\n", f);
        if (cfg->features & KEEL_FEAT_APIC)
            fputs("    <apic/>\n", f);
        if (cfg->features & KEEL_FEAT_PAE)
            fputs("    <pae/>\n", f);
        fputs("  </features>\n", f);
    }
    if (cfg->sockets)
        fprintf(f, "  <cpu>\n    <topology sockets='%u' cores='%u' threads='%u'/>\n  </cpu>\n",
                cfg->sockets, cfg->cores, cfg->threads);
    fprintf(f, "  <clock offset='%s'>\n    <timer name='hpet' present='%s'/>\n  </clock>\n",
            word_name(words_clock, cfg->clock), cfg->features & KEEL_FEAT_HPET ? "yes" : "no");
    fprintf(f, "  <on_poweroff>%s</on_poweroff>\n", word_name(words_lifecycle, cfg->on_poweroff));
    fprintf(f, "  <on_reboot>%s</on_reboot>\n", word_name(words_lifecycle, cfg->on_reboot));
    fprintf(f, "  <on_crash>%s</on_crash>\n", word_name(words_lifecycle, cfg->on_crash));
}

static void write_disk(const struct keel_disk *d, FILE *f)
{
    fprintf(f, "    <disk type='%s' device='%s'>\n      <driver name='qemu' type='%s'/>\n",
            word_name(words_disk_type, d->type), word_name(words_disk_device, d->device),
            word_name(words_disk_format, d->format));
    if (d->source) {
        fprintf(f, "      <source %s='", d->type == KEEL_DISK_FILE ? "file" : "dev");
        put_escaped(f, d->source);
        fputs("'/>\n", f);
    }
    fprintf(f, "      <target dev='%s' bus='%s'/>\n", d->target ? d->target : "",
            word_name(words_disk_bus, d->bus));
    if (d->readonly)
        fputs("      <readonly/>\n", f);
    fputs("    </disk>\n", f);
}

static void write_net(const struct keel_net *n, FILE *f)
{
    fprintf(f, "    <interface type='%s'>\n", word_name(words_net_type, n->type));
    if (n->has_mac)
        fprintf(f, "      <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n", n->mac[0],
                n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
    if (n->source) {
        fprintf(f, "      <source %s='", n->type == KEEL_NET_NETWORK ? "network" : "bridge");
        put_escaped(f, n->source);
        fputs("'/>\n", f);
    }
    fprintf(f, "      <model type='%s'/>\n    </interface>\n",
            word_name(words_net_model, n->model));
}

static void write_chr(const struct keel_chardev *ch, const char *kind, bool console, FILE *f)
{
    fprintf(f, "    <%s type='%s'>\n", kind, word_name(words_chr_type, ch->type));
    if (ch->path) {
        fputs("      <source path='", f);
        put_escaped(f, ch->path);
        fputs("'/>\n", f);
    }
    if (console)
        fprintf(f, "      <target type='%s' port='%u'/>\n",
                word_name(words_chr_target, ch->target), ch->port);
    else
        fprintf(f, "      <target port='%u'/>\n", ch->port);
    fprintf(f, "    </%s>\n", kind);
}

static void write_graphics(const struct keel_graphics *g, FILE *f)
{
    fprintf(f, "    <graphics type='%s'", word_name(words_gfx_type, g->type));
    if (g->type != KEEL_GFX_NONE)
        fprintf(f, " port='%d' autoport='%s'", g->port, g->port < 0 ? "yes" : "no");
    if (g->listen) {
        fputs(" listen='", f);
        put_escaped(f, g->listen);
        fputc('\'', f);
    }
    fputs("/>\n", f);
}

static void write_devices(const struct keel_domconfig *cfg, FILE *f)
{
    fputs("  <devices>\n", f);
    put_text(f, "    ", "emulator", cfg->emulator);
    for (unsigned int i = 0; i < cfg->nr_disks; i++)
        write_disk(&cfg->disks[i], f);
    for (unsigned int i = 0; i < cfg->nr_nets; i++)
        write_net(&cfg->nets[i], f);
    for (unsigned int i = 0; i < cfg->nr_serials; i++)
        write_chr(&cfg->serials[i], "serial", false, f);
    for (unsigned int i = 0; i < cfg->nr_consoles; i++)
        write_chr(&cfg->consoles[i], "console", true, f);
    for (unsigned int i = 0; i < cfg->nr_graphics; i++)
        write_graphics(&cfg->graphics[i], f);
    for (unsigned int i = 0; i < cfg->nr_videos; i++) {
        const struct keel_video *v = &cfg->videos[i];

        fprintf(f, "    <video>\n      <model type='%s'", word_name(words_video_model, v->model));
        if (v->vram_kib)
            fprintf(f, " vram='%u'", v->vram_kib);
        fprintf(f, " heads='%u'/>\n    </video>\n", v->heads);
    }
    for (unsigned int i = 0; i < cfg->nr_inputs; i++)
        fprintf(f, "    <input type='%s' bus='%s'/>\n",
                word_name(words_input_type, cfg->inputs[i].type),
                word_name(words_input_bus, cfg->inputs[i].bus));
    fputs("  </devices>\n", f);
}

int keel_domconfig_write(const struct keel_domconfig *cfg, FILE *f)
{
    write_head(cfg, f);
    write_os(&cfg->os, f);
    write_machine(cfg, f);
    write_devices(cfg, f);
    fputs("</domain>\n", f);
    return ferror(f) ? -EIO : 0;
}

void keel_domconfig_free(struct keel_domconfig *cfg)
{
    free(cfg->name);
    free(cfg->os.machine);
    free(cfg->os.kernel);
    free(cfg->os.initrd);
    free(cfg->os.cmdline);
    free(cfg->os.loader);
    free(cfg->emulator);
    for (unsigned int i = 0; i < cfg->nr_disks; i++) {
        free(cfg->disks[i].source);
        free(cfg->disks[i].target);
    }
    for (unsigned int i = 0; i < cfg->nr_nets; i++)
        free(cfg->nets[i].source);
    for (unsigned int i = 0; i < cfg->nr_serials; i++)
        free(cfg->serials[i].path);
    for (unsigned int i = 0; i < cfg->nr_consoles; i++)
        free(cfg->consoles[i].path);
    for (unsigned int i = 0; i < cfg->nr_graphics; i++)
        free(cfg->graphics[i].listen);
    free(cfg->disks);
    free(cfg->nets);
    free(cfg->serials);
    free(cfg->consoles);
    free(cfg->graphics);
    free(cfg->videos);
    free(cfg->inputs);
    memset(cfg, 0, sizeof(*cfg));
}
