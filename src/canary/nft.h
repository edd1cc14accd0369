// nftables rules of portscope's own, for stealth mode and --block: one table
// (inet family, named "portscope") that the canary adds at start and removes
// at exit; a leftover from a crash is removed at the next start.
//
// nft always gets argv (posix_spawn, no shell). Every token portscope passes
// is a number it formatted or a fixed keyword, and addresses are printed from
// parsed IpAddress values, so nothing from the network reaches nft's parser.
// Needs CAP_NET_ADMIN; acts in the caller's network namespace.
#ifndef PORTSCOPE_CANARY_NFT_H_
#define PORTSCOPE_CANARY_NFT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "base/status.h"

namespace portscope::canary {

inline constexpr char kNftTable[] = "portscope";

/// Runs `nft ARGS...`; a non-zero exit is an error carrying nft's stderr.
Status RunNft(const std::vector<std::string>& args, std::string* out = nullptr);

struct NftRules {
  std::vector<uint16_t> drop_tcp;  // stealth: drop probes to these ports, so the host answers nothing
  std::vector<uint16_t> drop_udp;
  bool block_sets = false;         // --block: sets of sources to drop, entries with timeouts
  std::vector<IpAddress> allow;    // never dropped, listed first
};

/// Removes a table left by an earlier run; true when there was one.
Result<bool> RemoveLeftoverTable();
/// Creates the table. REQUIRES: no table of that name (RemoveLeftoverTable first).
Status InstallTable(const NftRules& rules);
/// Adds `source` to the block set for `timeout_s` seconds from now (an
/// element already there gets the fresh timeout). REQUIRES: block_sets.
Status BlockSource(const IpAddress& source, uint32_t timeout_s);
Status RemoveTable();

/// The argv (after "nft") InstallTable runs, one command per entry; exposed for tests.
std::vector<std::vector<std::string>> InstallCommands(const NftRules& rules);

}  // namespace portscope::canary

#endif  // PORTSCOPE_CANARY_NFT_H_
