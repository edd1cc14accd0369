/* One socket descriptor as the BPF iterator emits it (socket_fds.bpf.c) and
 * bpf_attribution.cc reads it: shared by the BPF C and the C++ side, so the
 * layout is fixed-width and padding-free. REQUIRES: __u32 and __u64 declared
 * (vmlinux.h in BPF C, <linux/types.h> in C++). */
#ifndef PORTSCOPE_SOCKETS_BPF_SOCKET_FD_H_
#define PORTSCOPE_SOCKETS_BPF_SOCKET_FD_H_

struct portscope_socket_fd {
  __u32 tgid;  /* process id in the initial pid namespace */
  __u32 fd;
  __u64 inode; /* socket inode, as sock_diag reports it */
};

#endif /* PORTSCOPE_SOCKETS_BPF_SOCKET_FD_H_ */
