/*
 * Exception handling: an IDT for the 32 architectural vectors, the record of the last
 * exception, and guest_catch(), which lets a test provoke an exception and carry on. Recovery
 * works like longjmp: the handler rewrites the interrupted frame so that IRET returns from the
 * guest_catch_call() that ran the faulting code (see traps.S).
 */
#include "guest.h"

#define RFLAGS_FIXED 0x2

struct idt_gate {
    uint16_t offset0, selector;
    uint8_t ist, type;
    uint16_t offset1;
    uint32_t offset2, reserved;
};

struct guest_catch {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp;     /* offsets known to traps.S */
    struct guest_catch *prev;
};

void guest_traps_init(void);
void guest_trap(struct guest_trap_frame *f);
int guest_catch_call(struct guest_catch *c, void (*fn)(void *), void *arg);
extern const char guest_trap_stubs[], guest_catch_recover[];

struct guest_exception guest_last_exception;
/* The 32 exceptions, and 16 vectors above them for interrupt tests (not present until set). */
static struct idt_gate idt[48] __attribute__((aligned(16)));
static struct guest_catch *catch_top;

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *guest_exception_name(int vector)
{
    if (vector == GUEST_NO_EXCEPTION)
        return "no exception";
    if (vector < 0 || vector >= 32 || !exception_names[vector])
        return "reserved vector";
    return exception_names[vector];
}

void guest_idt_set_present(int vector, bool present)
{
    idt[vector].type = present ? 0x8e : 0x0e;       /* 64-bit interrupt gate, DPL 0 */
}

void guest_idt_set_handler(int vector, void (*stub)(void))
{
    uint64_t a = (uintptr_t)stub;

    idt[vector] = (struct idt_gate){
        .offset0 = a & 0xffff, .selector = GUEST_CS64, .offset1 = (a >> 16) & 0xffff, .offset2 = a >> 32,
    };
    guest_idt_set_present(vector, true);
}

void guest_idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uintptr_t)idt };

    asm volatile("lidt %0" :: "m"(idtr));
}

void guest_traps_init(void)
{
    for (int v = 0; v < 32; v++) {
        uint64_t stub = (uintptr_t)guest_trap_stubs + 16 * v;

        idt[v] = (struct idt_gate){
            .offset0 = stub & 0xffff,
            .selector = GUEST_CS64,
            .offset1 = (stub >> 16) & 0xffff,
            .offset2 = stub >> 32,
        };
        guest_idt_set_present(v, true);
    }
    guest_idt_load();
}

int guest_catch(void (*fn)(void *), void *arg)
{
    struct guest_catch c = { .prev = catch_top };
    int vector;

    catch_top = &c;
    vector = guest_catch_call(&c, fn, arg);
    catch_top = c.prev;
    return vector;
}

/* Not running under Keel (or a broken hypercall): the VMCALL/VMMCALL itself raised #UD. */
static bool hypercall_faulted(struct guest_trap_frame *f)
{
    static bool reported;
    const uint8_t *insn = (const uint8_t *)f->rip;

    if (f->vector != UD_VECTOR || insn[0] != 0x0f || insn[1] != 0x01 ||
        (insn[2] != 0xc1 && insn[2] != 0xd9))
        return false;
    f->rip += 3;
    f->rax = (uint64_t)-38;                         /* -ENOSYS */
    if (!reported) {
        reported = true;
        report(false, "hypercall", "%s raised #UD", insn[2] == 0xd9 ? "VMMCALL" : "VMCALL");
    }
    return true;
}

void guest_trap(struct guest_trap_frame *f)
{
    static bool in_unexpected;
    struct guest_exception *e = &guest_last_exception;

    e->vector = (int)f->vector;
    e->error_code = f->error_code;
    e->rip = f->rip;
    e->cr2 = read_cr2();
    e->dr6 = 0;
    if (f->vector == DB_VECTOR) {
        asm volatile("mov %%dr6, %0" : "=r"(e->dr6));
        asm volatile("mov %0, %%dr6" :: "r"(0xffff0ff0ul));     /* DR6 bits are sticky */
    }

    if (catch_top) {
        struct guest_catch *c = catch_top;

        f->rbx = c->rbx;
        f->rbp = c->rbp;
        f->r12 = c->r12;
        f->r13 = c->r13;
        f->r14 = c->r14;
        f->r15 = c->r15;
        f->rsp = c->rsp;
        f->rip = (uintptr_t)guest_catch_recover;
        f->rax = f->vector;
        f->cs = GUEST_CS64;
        f->ss = GUEST_DS;
        f->rflags = RFLAGS_FIXED;                   /* drops TF, and DF set by the test */
        return;
    }
    if (hypercall_faulted(f))
        return;
    if (in_unexpected) {
        printf("%s in the exception handler at rip 0x%lx: stopping\n",
               guest_exception_name(e->vector), (unsigned long)f->rip);
        for (;;)
            asm volatile("cli; hlt");
    }
    in_unexpected = true;
    report(false, "unexpected-exception", "%s at rip 0x%lx, error code 0x%lx, cr2 0x%lx",
           guest_exception_name(e->vector), (unsigned long)f->rip, (unsigned long)f->error_code,
           (unsigned long)e->cr2);
    report_summary_and_exit();
}

struct msr_access {
    uint32_t msr;
    uint64_t val;
};

static void do_rdmsr(void *arg)
{
    struct msr_access *a = arg;

    a->val = rdmsr(a->msr);
}

static void do_wrmsr(void *arg)
{
    struct msr_access *a = arg;

    wrmsr(a->msr, a->val);
}

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
    struct msr_access a = { msr, 0 };
    int vector = guest_catch(do_rdmsr, &a);

    *val = a.val;
    return vector;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
    struct msr_access a = { msr, val };

    return guest_catch(do_wrmsr, &a);
}
