/*
 * Console input: a timer polls the hypervisor's UART and hands what it received to the COM1 of
 * the domain with the focus. Bytes its receiver cannot take yet wait here, and while this buffer
 * is full the UART is left alone, so input is held back rather than lost (on real hardware the
 * UART's own FIFO then overruns; under an emulator its serial backend simply waits).
 * Lock order: the input lock, then the domain's platform lock.
 */
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/printk.h>
#include <keel/spinlock.h>
#include <keel/string.h>
#include <keel/time.h>
#include <keel/timer.h>
#include <keel/vplatform.h>

#define INPUT_BUF_LEN 256

static struct {
    spinlock_t lock;
    struct domain *focus;
    uint8_t buf[INPUT_BUF_LEN];         /* received, not yet taken by the focus */
    size_t len;
    struct timer timer;
} input = { .lock = SPINLOCK_INIT };

/* Called with the input lock held. */
static void input_poll(void)
{
    int c;

    while (input.len < INPUT_BUF_LEN && (c = console_getc()) >= 0)
        input.buf[input.len++] = (uint8_t)c;
    if (!input.focus) {
        input.len = 0;
        return;
    }
    if (input.len) {
        size_t taken = vplatform_uart_input(input.focus, input.buf, input.len);

        memmove(input.buf, input.buf + taken, input.len - taken);
        input.len -= taken;
    }
}

static void input_timer_fired(struct timer *t)
{
    unsigned long flags = spin_lock_irqsave(&input.lock);

    input_poll();
    spin_unlock_irqrestore(&input.lock, flags);
    timer_set(t, now_ns() + CONSOLE_POLL_MS * NSEC_PER_MSEC);
}

void console_input_start(void)
{
    if (!console_port())
        return;
    timer_init(&input.timer, input_timer_fired, NULL);
    timer_set(&input.timer, now_ns() + CONSOLE_POLL_MS * NSEC_PER_MSEC);
    pr_info("console: input polled every %u ms, for the domain with the focus\n", CONSOLE_POLL_MS);
}

void console_set_focus(struct domain *d)
{
    unsigned long flags = spin_lock_irqsave(&input.lock);

    input.focus = d;
    input.len = 0;
    spin_unlock_irqrestore(&input.lock, flags);
    if (d)
        pr_info("console: input goes to d%u (%s)\n", d->id, d->name);
}

void console_unfocus(struct domain *d)
{
    unsigned long flags = spin_lock_irqsave(&input.lock);
    bool had = input.focus == d;

    if (had) {
        input.focus = NULL;
        input.len = 0;
    }
    spin_unlock_irqrestore(&input.lock, flags);
    if (had)
        pr_info("console: d%u (%s) gone, input goes nowhere\n", d->id, d->name);
}

struct domain *console_focus(void)
{
    return __atomic_load_n(&input.focus, __ATOMIC_ACQUIRE);
}
