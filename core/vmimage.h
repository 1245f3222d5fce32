/* Where netloom finds its built-in VM guest images (netloom-tiny, built by
 * `make vm-image`): one directory holding a subdirectory per image with vmlinuz,
 * initrd.img and manifest.json. */
#ifndef LOOM_VMIMAGE_H
#define LOOM_VMIMAGE_H

/* The built-in guest and the kernel command line it reads (docs/architecture.md). */
#define LOOM_VM_TINY "netloom-tiny"
#define LOOM_VM_DIR_INSTALLED "/usr/local/lib/netloom/vm"

/**
 * loom_vm_builtin_dir() - the directory of the built-in VM images.
 *
 * $NETLOOM_VM_DIR when set; else "vm" next to the netloom binary ($NETLOOM_EXE, or the
 * running program) when that directory exists, which is build/vm for an uninstalled
 * build; else LOOM_VM_DIR_INSTALLED. The image netloom-tiny is
 * <dir>/netloom-tiny/{vmlinuz,initrd.img}.
 *
 * Returns a string owned by the library, computed once (thread-safe); never NULL.
 */
const char *loom_vm_builtin_dir (void);

#endif
