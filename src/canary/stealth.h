// Stealth mode's firewall lifecycle.
//
// The canary binds nothing; portscope's nftables table drops every packet to
// the watched ports, so the host answers nothing (no SYN-ACK, no RST, no ICMP
// unreachable) and a scanner sees "filtered", while the live capture, which
// sees frames before netfilter, records them.
//
// Removing the table at exit needs CAP_NET_ADMIN, which the canary gives up
// when it drops privileges (it keeps CAP_NET_RAW only). So the table is owned
// by a small supervisor: SuperviseStealth() removes a leftover table,
// installs a fresh one and forks. The child returns and becomes the canary
// (opens the capture, drops privileges, runs the daemon). The parent keeps
// only CAP_NET_ADMIN and CAP_KILL (capabilities and bounding set), does
// nothing but pass SIGTERM, SIGINT and SIGHUP on to the child and wait for
// it, then removes the table, whatever way the child ended (even killed),
// and exits with the child's status. If the supervisor itself is killed
// (kill -9), the child gets SIGTERM (see FollowSupervisor) and stops
// cleanly; the table it leaves is removed at the next start.
#ifndef PORTSCOPE_CANARY_STEALTH_H_
#define PORTSCOPE_CANARY_STEALTH_H_

#include <optional>

#include "base/status.h"
#include "canary/nft.h"

namespace portscope::canary {

/// In the child: an empty optional (carry on as the canary). In the parent,
/// once the child has ended and the table is removed: the exit status to
/// exit with (the child's, or 128 + the signal that killed it; 1 when the
/// table could not be removed). A failure before the fork (the table cannot
/// be installed) is an error and nothing is left installed.
/// REQUIRES: root or CAP_NET_ADMIN; no threads running yet; signals
/// SIGTERM, SIGINT, SIGHUP not handled by anyone else.
/// `note` (if set) receives messages for the operator from the supervisor.
Result<std::optional<int>> SuperviseStealth(const NftRules& rules, void (*note)(const std::string&) = nullptr);

/// In the child, after DropPrivileges (which clears it): asks for SIGTERM
/// when the supervisor dies, so the canary never runs unsupervised.
Status FollowSupervisor();

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_STEALTH_H_
