/*
 * Port I/O: the exit handler (single and string, with REP, in both directions) and the ports the
 * hypervisor serves itself. Order: the hypervisor's devices, then (later) the device model, then
 * the null device, which reads all ones and drops writes.
 */
#include <keel/dom0.h>
#include <keel/exits.h>
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vplatform.h>
#include <public/keel/abi.h>

#define STRING_IO_BATCH 4096    /* elements per exit: long REP INS/OUTS stay interruptible */

static uint32_t fifo_read(struct test_fifo *f, unsigned int size)
{
    uint32_t v = 0;

    for (unsigned int i = 0; i < size; i++) {
        uint8_t b = 0xff;

        if (f->count) {
            b = f->buf[f->head];
            f->head = (f->head + 1) % sizeof(f->buf);
            f->count--;
        }
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void fifo_write(struct test_fifo *f, unsigned int size, uint32_t v)
{
    for (unsigned int i = 0; i < size && f->count < sizeof(f->buf); i++) {
        f->buf[(f->head + f->count) % sizeof(f->buf)] = (uint8_t)(v >> (8 * i));
        f->count++;
    }
}

static uint32_t size_mask(unsigned int size)
{
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

uint32_t io_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    struct domain *d = v->domain;
    uint32_t val;

    if ((d->flags & DOMF_PRIVILEGED) && dom0_io(v, port, size, false, &val))
        return val & size_mask(size);
    if (!vplatform_io(v, port, size, false, &val))
        return val & size_mask(size);
    if ((d->flags & DOMF_DEBUG_CONSOLE) && port == KEEL_DEBUG_PORT)
        return KEEL_DEBUG_PORT;         /* the usual answer: software probes for the port this way */
    if ((d->flags & DOMF_TEST_DEVICES) && port == KEEL_TEST_FIFO_PORT)
        return fifo_read(d->fifo, size);
    return size_mask(size);
}

void io_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    struct domain *d = v->domain;

    if ((d->flags & DOMF_PRIVILEGED) && dom0_io(v, port, size, true, &val))
        return;
    if (!vplatform_io(v, port, size, true, &val))
        return;
    if ((d->flags & DOMF_DEBUG_CONSOLE) && port == KEEL_DEBUG_PORT)
        domain_console_putc(d, (char)val);
    else if ((d->flags & DOMF_TEST_DEVICES) && port == KEEL_TEST_FIFO_PORT)
        fifo_write(d->fifo, size, val);
}

static void single_io(struct vcpu *v, const struct vm_exit_io *io)
{
    if (io->in) {
        uint32_t val = io_read(v, io->port, io->size);

        if (io->size == 4)
            v->gprs.rax = val;          /* a 32-bit destination clears the upper half */
        else
            v->gprs.rax = (v->gprs.rax & ~(uint64_t)size_mask(io->size)) | val;
    } else {
        io_write(v, io->port, io->size, (uint32_t)v->gprs.rax & size_mask(io->size));
    }
}

static uint64_t addr_mask(unsigned int addr_size)
{
    return addr_size == 8 ? ~0ULL : (1ULL << (8 * addr_size)) - 1;
}

/* One element of INS/OUTS; returns false if the guest took a fault (already injected). */
static bool string_element(struct vcpu *v, const struct vcpu_state *st, const struct vm_exit_io *io,
                           const struct x86_insn *insn)
{
    uint64_t mask = addr_mask(insn->addr_size), *ptr = io->in ? &v->gprs.rdi : &v->gprs.rsi;
    enum seg_index seg = io->in ? SEG_ES : (insn->seg == X86_SEG_NONE ? SEG_DS : (enum seg_index)insn->seg);
    uint64_t gva = st->seg[seg].base + (*ptr & mask), fault;
    uint32_t val = 0, pfec;
    int r;

    if (io->in) {
        val = io_read(v, io->port, io->size);
        r = gva_write(v, st, gva, &val, io->size, &pfec, &fault);
    } else {
        r = gva_read(v, st, gva, &val, io->size, GW_READ, &pfec, &fault);
    }
    if (r == GUEST_FAULT) {
        hvm->set_state(v, &(struct vcpu_state){ .cr2 = fault }, STATE_CR2);
        hvm->inject_exception(v, 14, true, pfec);
        return false;
    }
    if (r) {
        domain_crash(v->domain, "v%u: string I/O on port %#x to gva %llx outside RAM", v->id,
                     io->port, (unsigned long long)gva);
        return false;
    }
    if (!io->in)
        io_write(v, io->port, io->size, val);
    *ptr = (*ptr & ~mask) | ((*ptr + ((st->rflags & (1u << 10)) ? -(uint64_t)io->size : io->size)) & mask);
    return true;
}

/* REP INS/OUTS: the CPU gives no reliable address size or segment, so decode the instruction. */
static void string_io(struct vcpu *v, const struct vm_exit_io *io)
{
    struct vcpu_state st;
    struct x86_insn insn;
    uint8_t bytes[X86_MAX_INSN_LEN];
    size_t n;
    uint64_t count, mask;

    hvm->get_state(v, &st);
    n = vcpu_fetch_insn(v, &st, bytes);
    if (!n || x86_decode(bytes, n, vcpu_cpu_mode(&st), &insn)) {
        domain_crash(v->domain, "v%u: cannot decode string I/O at RIP %llx", v->id,
                     (unsigned long long)st.rip);
        return;
    }
    mask = addr_mask(insn.addr_size);
    count = io->rep ? (v->gprs.rcx & mask) : 1;
    for (unsigned int i = 0; count && i < STRING_IO_BATCH; i++, count--) {
        if (!string_element(v, &st, io, &insn))
            return;
        if (io->rep)
            v->gprs.rcx = (v->gprs.rcx & ~mask) | ((v->gprs.rcx - 1) & mask);
    }
    if (!count)
        vcpu_advance_rip(v, insn.len);  /* else: re-execute to continue after other work */
}

void exit_handle_io(struct vcpu *v, struct vm_exit *e)
{
    if (e->io.string) {
        string_io(v, &e->io);
        return;
    }
    single_io(v, &e->io);
    exit_skip_insn(v, e);
}
