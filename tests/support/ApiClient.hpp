#pragma once
// The control API of a gateway under test, on loopback: requests that never throw (no answer is
// status 0: refused, reset, killed), and the waits tests need.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/HttpClient.hpp"

namespace loa::test {

/// Operators' tokens the tests configure (two to confirm an actual alert, a viewer, an admin).
inline const std::string kAlice = "loa_alice_0123456789abcdef", kBob = "loa_bob_0123456789abcdef",
                         kVera = "loa_vera_0123456789abcdef", kOlga = "loa_olga_0123456789abcdef";

struct ApiClient {
    uint16_t port = 0;
    std::string token;

    HttpResult call(const std::string& method, const std::string& path, const std::string& body = {}) const;
    /// The answer's JSON (null if there was none).
    nlohmann::json get(const std::string& path) const;
    /// Waits until GET /api/status answers 200.
    bool waitReady(std::chrono::milliseconds timeout) const;
    /// What programme `index` has on air now ("" if no answer).
    std::string onAir(size_t index = 0) const;
    /// Waits until programme `index` has `source` on air.
    bool waitOnAir(const std::string& source, std::chrono::milliseconds timeout, size_t index = 0) const;
    /// The value of a /metrics line that starts with `series` (e.g. 'loa_x{reason="y"}'), or -1.
    double metric(const std::string& series) const;
    /// The metric once it reaches `atLeast`, or its value when `timeout` has passed (a busy
    /// gateway counts what it was sent a little later).
    double waitMetric(const std::string& series, double atLeast, std::chrono::milliseconds timeout) const;
};

}  // namespace loa::test
