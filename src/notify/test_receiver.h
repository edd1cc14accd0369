// A webhook receiver for tests: an httplib server on 127.0.0.1 (an
// ephemeral port, or a given one to come back on), optionally over TLS, that
// keeps every body it is sent and answers with a status the test sets.
#ifndef PORTSCOPE_NOTIFY_TEST_RECEIVER_H_
#define PORTSCOPE_NOTIFY_TEST_RECEIVER_H_

#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace portscope::notify {

class TestReceiver {
 public:
  /// port 0: any free port. cert/key: PEM files for https, or "" for http.
  explicit TestReceiver(int port = 0, const std::string& cert = "", const std::string& key = "") {
    if (cert.empty()) server_ = std::make_unique<httplib::Server>();
    else server_ = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
    server_->Post("/.*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      if (status_ < 300) bodies_.push_back(req.body);
      paths_.push_back(req.path);
      content_types_.push_back(req.get_header_value("Content-Type"));
      res.status = status_;
    });
    port_ = port ? (server_->bind_to_port("127.0.0.1", port) ? port : -1) : server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return;
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() before the server runs would do nothing and leave accept()
    // blocked for good: wait until it runs (bounded).
    for (int i = 0; i < 500 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~TestReceiver() { Stop(); }
  void Stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  bool ok() const { return port_ > 0; }
  void set_status(int s) {
    std::lock_guard lock(mu_);
    status_ = s;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  std::vector<nlohmann::json> json() const {
    std::vector<nlohmann::json> out;
    for (const auto& b : bodies()) out.push_back(nlohmann::json::parse(b, nullptr, false));
    return out;
  }
  size_t requests() const {
    std::lock_guard lock(mu_);
    return paths_.size();
  }
  std::vector<std::string> paths() const {
    std::lock_guard lock(mu_);
    return paths_;
  }
  std::vector<std::string> content_types() const {
    std::lock_guard lock(mu_);
    return content_types_;
  }
  /// Waits up to `timeout` for at least n accepted bodies.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) const {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (bodies().size() < n) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;
  std::thread thread_;
  mutable std::mutex mu_;
  int status_ = 200;
  std::vector<std::string> bodies_;
  std::vector<std::string> paths_;
  std::vector<std::string> content_types_;
};

}  // namespace portscope::notify

#endif  // PORTSCOPE_NOTIFY_TEST_RECEIVER_H_
