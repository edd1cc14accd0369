#include "canary/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/text.h"

namespace portscope::canary {

std::string DefaultUnprivilegedUser() { return "nobody"; }

namespace {

// A user name or numeric uid (its gid then the same number).
Status ResolveUser(const std::string& user, uid_t* uid, gid_t* gid) {
  passwd pw;
  passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r(user.c_str(), &pw, buf, sizeof buf, &found) == 0 && found) {
    *uid = found->pw_uid;
    *gid = found->pw_gid;
  } else if (auto n = ParseUint(user, 0x7FFFFFFF)) {
    *uid = static_cast<uid_t>(*n);
    *gid = static_cast<gid_t>(*n);
  } else {
    return Status::InvalidArgument("no such user '" + EscapeForTerminal(user) + "' to drop privileges to");
  }
  if (*uid == 0) return Status::InvalidArgument("refusing to 'drop' privileges to root");
  return Status::Ok();
}

}  // namespace

Status CheckUser(const std::string& user) {
  uid_t uid;
  gid_t gid;
  return ResolveUser(user, &uid, &gid);
}

Status GiveToUser(const std::vector<std::string>& paths, const std::string& user) {
  if (geteuid() != 0) return Status::Ok();
  uid_t uid;
  gid_t gid;
  if (Status s = ResolveUser(user, &uid, &gid); !s.ok()) return s;
  for (const std::string& p : paths)
    if (chown(p.c_str(), uid, gid) != 0 && errno != ENOENT) return Status::PosixError("chown " + EscapeForTerminal(p), errno);
  return Status::Ok();
}

Status DropPrivileges(const DropTo& to) {
  if (geteuid() != 0) return Status::Ok();
  uid_t uid;
  gid_t gid;
  if (Status s = ResolveUser(to.user, &uid, &gid); !s.ok()) return s;
  bool keep = to.keep_net_raw || to.keep_net_admin;
  if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Status::PosixError("PR_SET_KEEPCAPS", errno);
  if (setgroups(0, nullptr) != 0) return Status::PosixError("setgroups", errno);
  if (setresgid(gid, gid, gid) != 0) return Status::PosixError("setresgid", errno);
  if (setresuid(uid, uid, uid) != 0) return Status::PosixError("setresuid", errno);
  // After setuid the permitted set is empty, or kept whole with KEEPCAPS:
  // reduce it to what is kept (or nothing) explicitly.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (to.keep_net_raw) data[0].permitted = data[0].effective = 1u << CAP_NET_RAW;
  if (to.keep_net_admin) {
    data[0].permitted |= 1u << CAP_NET_ADMIN;
    data[0].effective |= 1u << CAP_NET_ADMIN;
    data[0].inheritable = 1u << CAP_NET_ADMIN;  // ambient needs it permitted and inheritable
  }
  if (syscall(SYS_capset, &header, data) != 0) return Status::PosixError("capset", errno);
  if (to.keep_net_admin && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) != 0)
    return Status::PosixError("raising CAP_NET_ADMIN into the ambient set (for nft)", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Status::PosixError("PR_SET_NO_NEW_PRIVS", errno);
  if (setuid(0) == 0) return Status::IoError("privileges were not dropped: setuid(0) still works");
  return Status::Ok();
}

}  // namespace portscope::canary
