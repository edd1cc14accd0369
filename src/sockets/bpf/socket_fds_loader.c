/* See socket_fds_loader.h. skel_internal.h (libbpf-dev) uses errno, EINVAL
 * and memset without including their headers, hence the includes first. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socket_fds.lskel.h" /* generated at build time (src/sockets/CMakeLists.txt) */
#include "socket_fds_loader.h"

struct portscope_socket_fds {
  struct socket_fds_lskel *skel;
  int link_fd;
};

int portscope_socket_fds_load(bool only_wanted, __u32 max_wanted, struct portscope_socket_fds **out,
                              const char **step) {
  *out = NULL;
  *step = "allocate the light skeleton";
  struct portscope_socket_fds *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  s->link_fd = -1;
  s->skel = socket_fds_lskel__open();
  if (!s->skel) {
    free(s);
    return -ENOMEM;
  }
  /* Read by the loader program when it creates the maps. */
  s->skel->rodata->only_wanted = only_wanted;
  s->skel->maps.wanted.max_entries = max_wanted > 0 ? max_wanted : 1;
  /* The generated load() keeps the loader's own error text to itself. */
  int err = socket_fds_lskel__load(s->skel);
  if (err != 0) {
    *step = "load the BPF program (needs Linux 5.17+ with BTF)";
    portscope_socket_fds_destroy(s);
    return err;
  }
  *out = s;
  *step = NULL;
  return 0;
}

int portscope_socket_fds_add_wanted(struct portscope_socket_fds *s, const __u64 *inodes, __u32 count) {
  const int map_fd = s->skel->maps.wanted.map_fd;
  __u8 present[1024]; /* the values: keys and values are arrays of one length */
  memset(present, 1, sizeof present);
  for (__u32 done = 0; done < count;) {
    const __u32 n = count - done < sizeof present ? count - done : (__u32)sizeof present;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.batch.map_fd = (__u32)map_fd;
    attr.batch.keys = (__u64)(unsigned long)(inodes + done);
    attr.batch.values = (__u64)(unsigned long)present;
    attr.batch.count = n;
    if (skel_sys_bpf(BPF_MAP_UPDATE_BATCH, &attr, sizeof attr) < 0) {
      for (__u32 i = 0; i < n; ++i)
        if (skel_map_update_elem(map_fd, &inodes[done + i], &present[0], BPF_ANY) < 0) return -errno;
    }
    done += n;
  }
  return 0;
}

int portscope_socket_fds_open_iter(struct portscope_socket_fds *s) {
  if (s->link_fd < 0) {
    int fd = skel_link_create(s->skel->progs.socket_fds.prog_fd, 0, BPF_TRACE_ITER);
    if (fd < 0) return -errno;
    s->link_fd = fd;
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.iter_create.link_fd = (__u32)s->link_fd;
  int fd = skel_sys_bpf(BPF_ITER_CREATE, &attr, sizeof attr);
  return fd < 0 ? -errno : fd;
}

void portscope_socket_fds_destroy(struct portscope_socket_fds *s) {
  if (!s) return;
  if (s->link_fd >= 0) close(s->link_fd);
  socket_fds_lskel__destroy(s->skel);
  free(s);
}
