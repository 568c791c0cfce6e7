/*
 * dom0's memory map (pure logic, unit-tested): the machine's, with the RAM dom0 was not given
 * shown as reserved, and the page holding its copy of the RSDP reserved too.
 */
#include <keel/dom0.h>
#include <keel/fw_e820.h>
#include <keel/fw_linux.h>
#include <keel/types.h>

static unsigned int e820_add(struct fw_e820_entry *e, unsigned int n, uint64_t start, uint64_t end,
                             uint32_t type)
{
    if (end <= start || n >= FW_LINUX_E820_MAX)
        return n;
    if (n && e[n - 1].type == type && e[n - 1].addr + e[n - 1].size == start) {
        e[n - 1].size += end - start;   /* merge with the one before */
        return n;
    }
    e[n] = (struct fw_e820_entry){ .addr = start, .size = end - start, .type = type };
    return n + 1;
}

/* Splits machine RAM [start, end) into dom0's RAM and reserved pieces, in address order. */
static unsigned int e820_add_ram(struct fw_e820_entry *e, unsigned int n, uint64_t start, uint64_t end,
                                 const struct dom0_layout *l, uint64_t rsdp_page)
{
    while (start < end) {
        uint64_t next = end;
        bool mine = false;

        for (unsigned int i = 0; i < l->nr_ranges; i++) {
            uint64_t rs = l->ram[i].start, re = l->ram[i].end;

            if (rs <= start && re > start) {
                mine = true;
                next = MIN(next, re);
            } else if (rs > start) {
                next = MIN(next, rs);
            }
        }
        if (start == rsdp_page && mine)
            next = start + PAGE_SIZE, mine = false;     /* the RSDP copy: Linux must not reuse it */
        else if (start < rsdp_page && next > rsdp_page)
            next = rsdp_page;
        n = e820_add(e, n, start, next, mine ? MEM_RAM : MEM_RESERVED);
        start = next;
    }
    return n;
}

unsigned int dom0_e820(const struct mem_region *mem, unsigned int nr_mem, const struct dom0_layout *l,
                       uint64_t rsdp_page, struct fw_e820_entry *e)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < nr_mem; i++) {
        const struct mem_region *m = &mem[i];

        if (m->type == MEM_RAM)
            n = e820_add_ram(e, n, m->base, m->base + m->len, l, rsdp_page);
        else
            n = e820_add(e, n, m->base, m->base + m->len, m->type);
    }
    return n;
}
