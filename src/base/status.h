// Status and Result<T>: how expected failures cross module boundaries.
//
// No exceptions for expected failures (STYLE.md section 3). A Status is either
// ok or carries one human-readable message with its context; Result<T> holds a
// value or a failed Status, shaped like std::expected so it can be swapped for
// it once the toolchain has C++23. Only cli/ prints a Status.
#ifndef PORTSCOPE_BASE_STATUS_H_
#define PORTSCOPE_BASE_STATUS_H_

#include <string>
#include <utility>
#include <variant>

namespace portscope {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kInvalidArgument, kNotFound, kIoError, kCorrupt };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Corrupt(std::string msg) { return Status(Code::kCorrupt, std::move(msg)); }
  /// An I/O failure from errno, e.g. PosixError("open /x", ENOENT).
  static Status PosixError(const std::string& context, int err);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)
  // REQUIRES: !status.ok() when constructing from a Status.

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace portscope

#endif  // PORTSCOPE_BASE_STATUS_H_
