// Dropping root after the sockets and the capture are open (scanlogd's
// drop_root): switch to an unprivileged user, keeping only CAP_NET_RAW when a
// live capture still needs it and CAP_NET_ADMIN when --block still runs nft,
// and forbid regaining privileges.
#ifndef PORTSCOPE_CANARY_PRIVILEGES_H_
#define PORTSCOPE_CANARY_PRIVILEGES_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace portscope::canary {

struct DropTo {
  std::string user;           // name or numeric uid
  bool keep_net_raw = false;  // keep CAP_NET_RAW (live capture)
  /// Keep CAP_NET_ADMIN (--block) in the ambient set too: nft is a program
  /// the canary runs, and a non-root process passes capabilities across
  /// execve only through the ambient set. nft is the only program it runs.
  bool keep_net_admin = false;
};

/// No-op (Ok) when not running as root. Otherwise: supplementary groups
/// cleared, gid and uid switched, capabilities reduced to those kept or none,
/// and PR_SET_NO_NEW_PRIVS set. Fails if any step fails: a canary that meant
/// to drop root must not go on as root.
Status DropPrivileges(const DropTo& to);

/// Before dropping: makes `paths` (files or directories that exist; missing
/// ones are skipped) owned by `user` and its group, so that it can go on
/// writing them (the database, its -wal and -shm, a directory portscope
/// created for them). No-op (Ok) when not running as root.
Status GiveToUser(const std::vector<std::string>& paths, const std::string& user);

/// Whether `user` (a name or a uid) exists and is not root: what
/// DropPrivileges will need, checked before anything is opened or created.
Status CheckUser(const std::string& user);

/// The user to drop to when none was named: "nobody".
std::string DefaultUnprivilegedUser();

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_PRIVILEGES_H_
