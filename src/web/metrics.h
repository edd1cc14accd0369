// The /metrics registry: counters and gauges in Prometheus text format
// (exposition format 0.0.4).
//
// Three ways in, for three kinds of figure:
//  - ObserveRequest: the server's own requests by route and status, with a
//    duration histogram. Route labels are route patterns ("/ports/{spec}"),
//    never paths taken from a request, so the label set stays bounded.
//  - AddCounter / AddGauge: a module registers a named figure once at
//    start-up and updates it from any thread (atomics).
//  - AddCollector: a function run at every scrape that writes figures it
//    computes then (record counts, cache sizes).
// The canary is meant to join through the same two calls, e.g.
// portscope_canary_probes_total, portscope_canary_alerts_total{kind},
// portscope_canary_sources_tracked, portscope_canary_drops_total{reason} as
// counters and gauges, and portscope_store_lag_seconds from a collector.
// Thread-safe. Registration happens before serving; nothing is unregistered.
#ifndef PORTSCOPE_WEB_METRICS_H_
#define PORTSCOPE_WEB_METRICS_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portscope::web {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// Writes families in the text format. Header() starts a family; Sample()
/// adds lines to it. A family's samples must follow its header.
class Exposition {
 public:
  void Header(std::string_view name, std::string_view help, std::string_view type);
  void Sample(std::string_view name, const Labels& labels, double value);
  void Sample(std::string_view name, const Labels& labels, uint64_t value);
  const std::string& text() const { return out_; }

 private:
  void Name(std::string_view name, const Labels& labels);
  std::string out_;
};

class Counter {
 public:
  void Add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

class Metrics {
 public:
  using Collector = std::function<void(Exposition*)>;

  /// Returns a counter that lives as long as the Metrics. Names follow
  /// Prometheus conventions (portscope_canary_probes_total). Registering the
  /// same name twice with other labels adds a labelled series to the family.
  Counter* AddCounter(std::string name, std::string help, Labels labels = {});
  Gauge* AddGauge(std::string name, std::string help, Labels labels = {});
  void AddCollector(Collector collector);

  /// One served request. `route` is the pattern that matched, or "none".
  void ObserveRequest(std::string_view route, int status, double seconds);

  /// The whole exposition, as served at /metrics.
  std::string Render() const;

  /// Upper bounds of the request-duration histogram, in seconds.
  static const std::vector<double>& DurationBuckets();

 private:
  template <typename T>
  struct Series {
    std::string name, help;
    Labels labels;
    T* value;
  };
  struct RouteStats {
    std::map<int, uint64_t> by_status;
    std::vector<uint64_t> buckets;  // cumulative at render time
    uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mu_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::vector<Series<Counter>> counter_series_;
  std::vector<Series<Gauge>> gauge_series_;
  std::vector<Collector> collectors_;
  std::map<std::string, RouteStats, std::less<>> routes_;
};

}  // namespace portscope::web

#endif  // PORTSCOPE_WEB_METRICS_H_
