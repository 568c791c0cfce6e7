/* `keel info`: what the hypervisor says about the machine and its domains. */
#include <inttypes.h>
#include <string.h>

#include "info.h"

#define MIB(b) ((unsigned long long)((b) >> 20))

void keel_format_cpus(uint64_t mask, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < 64 && n < size; i++) {
        int j = i;

        if (!(mask & (1ULL << i)))
            continue;
        while (j < 63 && (mask & (1ULL << (j + 1))))
            j++;
        n += (size_t)snprintf(buf + n, size - n, j > i ? "%s%d-%d" : "%s%d", n ? "," : "", i, j);
        i = j;
    }
    if (!mask)
        snprintf(buf, size, "none");
}

const char *keel_state_name(uint32_t state)
{
    static const char *const names[] = { "created", "running", "paused", "shutdown", "crashed",
                                         "dying" };

    return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

void keel_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void print_json(FILE *f, const struct keel_physinfo *p, const struct keel_domain_info *d,
                       unsigned int n)
{
    fprintf(f, "{\"hypervisor\": {\"version\": ");
    keel_json_string(f, p->version);
    fprintf(f, ", \"abi\": %u, \"backend\": ", p->abi_version);
    keel_json_string(f, p->backend);
    fprintf(f, "},\n \"cpus\": {\"online\": %u, \"dom0\": [", p->nr_cpus);
    for (int i = 0, first = 1; i < 64; i++)
        if (p->dom0_cpus & (1ULL << i))
            fprintf(f, first ? "%d" : ", %d", i), first = 0;
    fprintf(f, "]},\n \"memory_mib\": {\"total\": %llu, \"dom0\": %llu, \"hypervisor\": %llu, "
            "\"free\": %llu},\n \"domains\": [", MIB(p->total_bytes), MIB(p->dom0_bytes),
            MIB(p->hv_bytes), MIB(p->free_bytes));
    for (unsigned int i = 0; i < n; i++) {
        fprintf(f, "%s\n  {\"id\": %u, \"name\": ", i ? "," : "", d[i].domid);
        keel_json_string(f, d[i].name);
        fprintf(f, ", \"state\": \"%s\", \"vcpus\": %u, \"memory_mib\": %llu, \"cpu_seconds\": %.3f}",
                keel_state_name(d[i].state), d[i].nr_vcpus, MIB(d[i].mem_bytes), d[i].cpu_ns / 1e9);
    }
    fprintf(f, "]}\n");
}

void keel_print_info(FILE *f, const struct keel_physinfo *p, const struct keel_domain_info *d,
                     unsigned int n, bool json)
{
    char cpus[200];

    if (json) {
        print_json(f, p, d, n);
        return;
    }
    keel_format_cpus(p->dom0_cpus, cpus, sizeof(cpus));
    fprintf(f, "hypervisor: Keel %s (ABI %u, %s)\n", p->version, p->abi_version,
            strcmp(p->backend, "svm") ? "Intel VT-x" : "AMD-V");
    fprintf(f, "cpus:       %u online, TSC %.3f MHz\n", p->nr_cpus, p->tsc_khz / 1000.0);
    fprintf(f, "dom0 cpus:  %s\n", cpus);
    fprintf(f, "memory:     %llu MiB total, dom0 %llu MiB, hypervisor %llu MiB, free %llu MiB\n",
            MIB(p->total_bytes), MIB(p->dom0_bytes), MIB(p->hv_bytes), MIB(p->free_bytes));
    fprintf(f, "domains:    %u\n", n);
    fprintf(f, "%5s  %-20s %-9s %5s %11s %9s\n", "ID", "NAME", "STATE", "VCPUS", "MEMORY(MiB)",
            "CPU(s)");
    for (unsigned int i = 0; i < n; i++)
        fprintf(f, "%5u  %-20s %-9s %5u %11llu %9.1f\n", d[i].domid, d[i].name,
                keel_state_name(d[i].state), d[i].nr_vcpus, MIB(d[i].mem_bytes), d[i].cpu_ns / 1e9);
}
