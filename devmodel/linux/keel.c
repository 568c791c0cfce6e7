// SPDX-License-Identifier: GPL-2.0
/*
 * keel.ko: dom0's driver for the Keel interface device (hv/include/public/keel/hypercall.h).
 * It provides /dev/keel (hv/include/public/keel/keel_dev.h): hypercalls for libkeel, event-channel
 * notifications delivered through the device's MSI, and mappings of other domains' frames.
 */
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kfifo.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <keel/abi.h>
#include <keel/hypercall.h>
#include <keel/keel_dev.h>

#define FIFO_PORTS 256

struct keel_file {
	DECLARE_KFIFO(fifo, u32, FIFO_PORTS);
	wait_queue_head_t wait;
	u64 dropped;
};

/* The pages behind one mmap() of /dev/keel: dom0's pages that show foreign frames. */
struct keel_area {
	unsigned long npages;
	struct page *pages[];
};

static bool use_vmmcall;
static DEFINE_SPINLOCK(ports_lock);
static struct keel_file *port_owner[KEEL_EVTCHN_PORTS];
static struct keel_evtchn_pending *pending_buf;
static u64 unclaimed_events;

static long keel_hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
			   unsigned long a3, unsigned long a4)
{
	register unsigned long r10 asm("r10") = a3;
	register unsigned long r8 asm("r8") = a4;
	long ret;

	if (use_vmmcall)
		asm volatile("vmmcall" : "=a"(ret)
			     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8) : "memory");
	else
		asm volatile("vmcall" : "=a"(ret)
			     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8) : "memory");
	return ret;
}

/* Fetches and clears dom0's pending ports, and hands each to the file that bound it. */
static irqreturn_t keel_irq(int irq, void *dev)
{
	unsigned long flags;
	unsigned int p;

	spin_lock_irqsave(&ports_lock, flags);
	while (keel_hypercall(KEEL_HC_EVTCHN, KEEL_EVTCHN_PENDING, virt_to_phys(pending_buf),
			      0, 0, 0) == 0 && pending_buf->count) {
		for (p = 1; p < KEEL_EVTCHN_PORTS; p++) {
			struct keel_file *f = port_owner[p];
			u32 port = p;

			if (!(pending_buf->bitmap[p / 64] & (1ULL << (p % 64))))
				continue;
			if (!f) {
				unclaimed_events++;
				continue;
			}
			if (!kfifo_put(&f->fifo, port))
				f->dropped++;
			wake_up_interruptible(&f->wait);
		}
	}
	spin_unlock_irqrestore(&ports_lock, flags);
	return IRQ_HANDLED;
}

static long ioctl_hypercall(void __user *uarg)
{
	struct keel_ioctl_hypercall hc;
	void *buf = NULL;
	long ret;

	if (copy_from_user(&hc, uarg, sizeof(hc)))
		return -EFAULT;
	if (hc.buf_len > KEEL_DEV_BUF_MAX || (hc.buf_len && hc.buf_arg > 4))
		return -EINVAL;
	if (hc.buf_len) {
		buf = kmalloc(hc.buf_len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		if (copy_from_user(buf, u64_to_user_ptr(hc.buf), hc.buf_len)) {
			kfree(buf);
			return -EFAULT;
		}
		hc.args[hc.buf_arg] = virt_to_phys(buf);
	}
	ret = keel_hypercall(hc.nr, hc.args[0], hc.args[1], hc.args[2], hc.args[3], hc.args[4]);
	if (buf && copy_to_user(u64_to_user_ptr(hc.buf), buf, hc.buf_len))
		ret = -EFAULT;
	kfree(buf);
	return ret;
}

static long ioctl_bind(struct keel_file *f, void __user *uarg, bool bind)
{
	struct keel_ioctl_evtchn_bind b;
	unsigned long flags;
	long ret = 0;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	if (b.port == 0 || b.port >= KEEL_EVTCHN_PORTS || b.pad)
		return -EINVAL;
	spin_lock_irqsave(&ports_lock, flags);
	if (bind && port_owner[b.port])
		ret = -EBUSY;
	else if (!bind && port_owner[b.port] != f)
		ret = -EINVAL;
	else
		port_owner[b.port] = bind ? f : NULL;
	spin_unlock_irqrestore(&ports_lock, flags);
	return ret;
}

static void area_close(struct vm_area_struct *vma)
{
	struct keel_area *a = vma->vm_private_data;
	unsigned long i;

	for (i = 0; a && i < a->npages; i++) {
		if (!a->pages[i])
			continue;
		keel_hypercall(KEEL_HC_FOREIGN_UNMAP, page_to_pfn(a->pages[i]), 0, 0, 0, 0);
		__free_page(a->pages[i]);
	}
	kvfree(a);
}

static const struct vm_operations_struct area_ops = {
	.close = area_close,
};

/* Shows frame gfn of domid at page i of the area (dom0's own page, p, stands in for it). */
static int map_one(struct vm_area_struct *vma, struct keel_area *a, unsigned long i, u32 domid,
		   u64 gfn, u32 flags)
{
	struct keel_foreign_map *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct page *p = alloc_page(GFP_KERNEL);
	long ret = -ENOMEM;

	if (!m || !p)
		goto out;
	*m = (struct keel_foreign_map){ .domid = domid, .flags = flags, .gfn = gfn,
					.dom0_gfn = page_to_pfn(p) };
	ret = keel_hypercall(KEEL_HC_FOREIGN_MAP, virt_to_phys(m), 0, 0, 0, 0);
	if (ret)
		goto out;
	ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE, p);
	if (ret) {
		keel_hypercall(KEEL_HC_FOREIGN_UNMAP, page_to_pfn(p), 0, 0, 0, 0);
		goto out;
	}
	a->pages[i] = p;
	p = NULL;
out:
	if (p)
		__free_page(p);
	kfree(m);
	return ret;
}

static long ioctl_map_foreign(struct file *file, void __user *uarg)
{
	struct keel_ioctl_map_foreign mf;
	struct vm_area_struct *vma;
	struct keel_area *a;
	long ret = 0, first = 0;
	u32 i;

	if (copy_from_user(&mf, uarg, sizeof(mf)))
		return -EFAULT;
	if (mf.pad || (mf.flags & ~KEEL_FOREIGN_RO) || !mf.nr)
		return -EINVAL;
	mmap_write_lock(current->mm);
	vma = find_vma(current->mm, mf.addr);
	if (!vma || vma->vm_file != file || vma->vm_start != mf.addr ||
	    mf.nr > vma_pages(vma) || !(a = vma->vm_private_data)) {
		ret = -EINVAL;
		goto out;
	}
	if (!(mf.flags & KEEL_FOREIGN_RO) && !(vma->vm_flags & VM_WRITE)) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < mf.nr; i++) {
		u64 gfn;
		s32 err;

		if (get_user(gfn, (u64 __user *)u64_to_user_ptr(mf.gfns) + i)) {
			ret = -EFAULT;
			break;
		}
		err = a->pages[i] ? -EBUSY : map_one(vma, a, i, mf.domid, gfn, mf.flags);
		if (err && !first)
			first = err;
		if (mf.errs && put_user(err, (s32 __user *)u64_to_user_ptr(mf.errs) + i)) {
			ret = -EFAULT;
			break;
		}
	}
	if (!ret)
		ret = first;
out:
	mmap_write_unlock(current->mm);
	return ret;
}

static long keel_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KEEL_IOCTL_HYPERCALL:
		return ioctl_hypercall(uarg);
	case KEEL_IOCTL_EVTCHN_BIND:
		return ioctl_bind(file->private_data, uarg, true);
	case KEEL_IOCTL_EVTCHN_UNBIND:
		return ioctl_bind(file->private_data, uarg, false);
	case KEEL_IOCTL_MAP_FOREIGN:
		return ioctl_map_foreign(file, uarg);
	default:
		return -ENOTTY;
	}
}

static int keel_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long n = vma_pages(vma);
	struct keel_area *a;

	if (vma->vm_pgoff || n > (1UL << 20))
		return -EINVAL;
	a = kvzalloc(struct_size(a, pages, n), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->npages = n;
	vma->vm_private_data = a;
	vma->vm_ops = &area_ops;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTCOPY | VM_DONTDUMP;
	return 0;
}

static ssize_t keel_read(struct file *file, char __user *ubuf, size_t len, loff_t *off)
{
	struct keel_file *f = file->private_data;
	unsigned int copied;
	int ret;

	if (len < sizeof(u32))
		return -EINVAL;
	while (kfifo_is_empty(&f->fifo)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(f->wait, !kfifo_is_empty(&f->fifo));
		if (ret)
			return ret;
	}
	ret = kfifo_to_user(&f->fifo, ubuf, len - len % sizeof(u32), &copied);
	return ret ? ret : copied;
}

static __poll_t keel_poll(struct file *file, poll_table *wait)
{
	struct keel_file *f = file->private_data;

	poll_wait(file, &f->wait, wait);
	return kfifo_is_empty(&f->fifo) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static int keel_open(struct inode *inode, struct file *file)
{
	struct keel_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	INIT_KFIFO(f->fifo);
	init_waitqueue_head(&f->wait);
	file->private_data = f;
	return 0;
}

static int keel_release(struct inode *inode, struct file *file)
{
	struct keel_file *f = file->private_data;
	unsigned long flags;
	unsigned int p;

	spin_lock_irqsave(&ports_lock, flags);
	for (p = 1; p < KEEL_EVTCHN_PORTS; p++)
		if (port_owner[p] == f)
			port_owner[p] = NULL;
	spin_unlock_irqrestore(&ports_lock, flags);
	kfree(f);
	return 0;
}

static const struct file_operations keel_fops = {
	.owner = THIS_MODULE,
	.open = keel_open,
	.release = keel_release,
	.unlocked_ioctl = keel_ioctl,
	.mmap = keel_mmap,
	.read = keel_read,
	.poll = keel_poll,
	.llseek = noop_llseek,
};

static struct miscdevice keel_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "keel",
	.fops = &keel_fops,
	.mode = 0600,
};

static int keel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct keel_iface_regs __iomem *regs;
	u32 magic, version;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	regs = pcim_iomap(pdev, 0, sizeof(*regs));
	if (!regs)
		return -ENOMEM;
	magic = ioread32(&regs->magic);
	version = ioread32(&regs->abi_version);
	if (magic != KEEL_IFACE_MAGIC || version != KEEL_ABI_VERSION) {
		dev_err(&pdev->dev, "not a Keel interface this driver knows (magic %#x, ABI %u, want %u)\n",
			magic, version, KEEL_ABI_VERSION);
		return -ENODEV;
	}
	use_vmmcall = ioread32(&regs->hypercall_insn) == 1;
	pending_buf = devm_kzalloc(&pdev->dev, sizeof(*pending_buf), GFP_KERNEL);
	if (!pending_buf)
		return -ENOMEM;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, 0), keel_irq, 0, "keel", pdev);
	if (ret)
		goto no_irq;
	ret = misc_register(&keel_misc);
	if (ret)
		goto no_misc;
	dev_info(&pdev->dev, "Keel ABI %u, hypercalls with %s, events on IRQ %d\n", version,
		 use_vmmcall ? "VMMCALL" : "VMCALL", pci_irq_vector(pdev, 0));
	return 0;
no_misc:
	free_irq(pci_irq_vector(pdev, 0), pdev);
no_irq:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void keel_remove(struct pci_dev *pdev)
{
	misc_deregister(&keel_misc);
	free_irq(pci_irq_vector(pdev, 0), pdev);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id keel_ids[] = {
	{ PCI_DEVICE(KEEL_IFACE_VENDOR, KEEL_IFACE_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, keel_ids);

static struct pci_driver keel_driver = {
	.name = "keel",
	.id_table = keel_ids,
	.probe = keel_probe,
	.remove = keel_remove,
};

static int __init keel_init(void)
{
	int ret = pci_register_driver(&keel_driver);

	if (!ret && !pci_dev_present(keel_ids))
		pr_info("keel: no Keel interface device: not running on Keel\n");
	return ret;
}

static void __exit keel_exit(void)
{
	pci_unregister_driver(&keel_driver);
}

module_init(keel_init);
module_exit(keel_exit);
MODULE_DESCRIPTION("Keel hypervisor interface for dom0");
MODULE_LICENSE("GPL");
