/* Loading socket_fds.bpf.c through its light skeleton (bpftool gen skeleton
 * -L), behind a C interface: the generated socket_fds.lskel.h is C only.
 *
 * A light skeleton embeds a loader program that the kernel runs to create
 * the maps, relocate field offsets against its own BTF (CO-RE in the kernel,
 * Linux 5.17+) and load the program. User space parses no BTF and links no
 * libbpf: loading costs ~2 ms of CPU against ~13 ms for a libbpf skeleton,
 * which spends it reading and parsing the kernel's 5 MB of BTF.
 *
 * Every function returns 0 or a file descriptor on success, a negative errno
 * on failure. Not thread-safe on one handle; handles are independent. */
#ifndef PORTSCOPE_SOCKETS_BPF_SOCKET_FDS_LOADER_H_
#define PORTSCOPE_SOCKETS_BPF_SOCKET_FDS_LOADER_H_

#include <linux/types.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portscope_socket_fds;

/* Loads the iterator program. only_wanted: emit only inodes in the wanted
 * map, which then holds up to max_wanted (>= 1) inodes. On failure *out is
 * NULL and *step names the step that failed (static text). */
int portscope_socket_fds_load(bool only_wanted, __u32 max_wanted, struct portscope_socket_fds **out,
                              const char **step);
/* Puts inodes into the wanted map: one BPF_MAP_UPDATE_BATCH (Linux 5.6+),
 * else one update per inode. */
int portscope_socket_fds_add_wanted(struct portscope_socket_fds *s, const __u64 *inodes, __u32 count);
/* Attaches the iterator (once per handle) and returns a new descriptor that
 * reads one pass of it; the caller closes it. */
int portscope_socket_fds_open_iter(struct portscope_socket_fds *s);
/* Closes everything the handle holds. NULL is allowed. */
void portscope_socket_fds_destroy(struct portscope_socket_fds *s);

#ifdef __cplusplus
}
#endif

#endif /* PORTSCOPE_SOCKETS_BPF_SOCKET_FDS_LOADER_H_ */
