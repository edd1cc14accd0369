#include "web/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace portscope::web {
namespace {

// Label values and HELP text escape backslash and newline; label values
// also escape the double quote (exposition format 0.0.4).
std::string EscapeLabel(std::string_view v, bool quote) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

}  // namespace

void Exposition::Header(std::string_view name, std::string_view help, std::string_view type) {
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeLabel(help, false), name, type);
}

void Exposition::Name(std::string_view name, const Labels& labels) {
  out_ += name;
  if (labels.empty()) return;
  out_ += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out_ += ',';
    out_ += fmt::format("{}=\"{}\"", labels[i].first, EscapeLabel(labels[i].second, true));
  }
  out_ += '}';
}

void Exposition::Sample(std::string_view name, const Labels& labels, double value) {
  Name(name, labels);
  out_ += ' ' + FormatDouble(value) + '\n';
}

void Exposition::Sample(std::string_view name, const Labels& labels, uint64_t value) {
  Name(name, labels);
  out_ += fmt::format(" {}\n", value);
}

const std::vector<double>& Metrics::DurationBuckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      2.5,     5,      10};
  return kBuckets;
}

Counter* Metrics::AddCounter(std::string name, std::string help, Labels labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Counter* c = &counters_.emplace_back();
  counter_series_.push_back({std::move(name), std::move(help), std::move(labels), c});
  return c;
}

Gauge* Metrics::AddGauge(std::string name, std::string help, Labels labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Gauge* g = &gauges_.emplace_back();
  gauge_series_.push_back({std::move(name), std::move(help), std::move(labels), g});
  return g;
}

void Metrics::AddCollector(Collector collector) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collector));
}

void Metrics::ObserveRequest(std::string_view route, int status, double seconds) {
  const auto& bounds = DurationBuckets();
  // The first bucket whose bound holds the duration; counts are made
  // cumulative when rendered, so one increment suffices here.
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routes_.find(route);
  if (it == routes_.end()) it = routes_.emplace(std::string(route), RouteStats{}).first;
  RouteStats& r = it->second;
  if (r.buckets.empty()) r.buckets.assign(bounds.size() + 1, 0);
  ++r.by_status[status];
  ++r.buckets[bucket];
  ++r.count;
  r.sum += seconds;
}

std::string Metrics::Render() const {
  Exposition e;
  std::vector<Collector> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    e.Header("portscope_http_requests_total", "HTTP requests served, by route pattern and status.",
             "counter");
    for (const auto& [route, r] : routes_)
      for (const auto& [status, n] : r.by_status)
        e.Sample("portscope_http_requests_total", {{"route", route}, {"status", std::to_string(status)}}, n);
    e.Header("portscope_http_request_duration_seconds",
             "Time from a parsed request to its rendered response, by route pattern.", "histogram");
    const auto& bounds = DurationBuckets();
    for (const auto& [route, r] : routes_) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += r.buckets[i];
        const std::string le = i < bounds.size() ? FormatDouble(bounds[i]) : "+Inf";
        e.Sample("portscope_http_request_duration_seconds_bucket", {{"route", route}, {"le", le}}, cumulative);
      }
      e.Sample("portscope_http_request_duration_seconds_sum", {{"route", route}}, r.sum);
      e.Sample("portscope_http_request_duration_seconds_count", {{"route", route}}, r.count);
    }
    // Families registered in pieces are written together, header once.
    auto families = [&](const auto& series, std::string_view type) {
      std::vector<bool> done(series.size(), false);
      for (size_t i = 0; i < series.size(); ++i) {
        if (done[i]) continue;
        e.Header(series[i].name, series[i].help, type);
        for (size_t j = i; j < series.size(); ++j) {
          if (series[j].name != series[i].name) continue;
          done[j] = true;
          if constexpr (std::is_same_v<std::decay_t<decltype(*series[j].value)>, Counter>)
            e.Sample(series[j].name, series[j].labels, series[j].value->value());
          else
            e.Sample(series[j].name, series[j].labels, static_cast<double>(series[j].value->value()));
        }
      }
    };
    families(counter_series_, "counter");
    families(gauge_series_, "gauge");
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(&e);
  return e.text();
}

}  // namespace portscope::web
