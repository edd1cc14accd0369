#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace portscope {

Status Status::PosixError(const std::string& context, int err) {
  Code code = (err == ENOENT) ? Code::kNotFound : Code::kIoError;
  return Status(code, context + ": " + std::strerror(err));
}

}  // namespace portscope
