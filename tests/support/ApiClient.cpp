#include "ApiClient.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <thread>

namespace loa::test {

HttpResult ApiClient::call(const std::string& method, const std::string& path, const std::string& body) const {
    HttpTarget target;
    target.url = "http://127.0.0.1:" + std::to_string(port);
    target.token = token;
    try {
        return httpRequest(target, method, path, body);
    } catch (const std::exception&) {
        return {0, ""};
    }
}

nlohmann::json ApiClient::get(const std::string& path) const {
    const auto r = call("GET", path);
    return r.status == 200 ? nlohmann::json::parse(r.body, nullptr, false) : nlohmann::json();
}

bool ApiClient::waitReady(std::chrono::milliseconds timeout) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (call("GET", "/api/status").status == 200) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string ApiClient::onAir(size_t index) const {
    const auto status = get("/api/status");
    if (!status.is_object() || !status["programmes"].is_array() || status["programmes"].size() <= index) return "";
    return status["programmes"][index].value("on_air", "");
}

bool ApiClient::waitOnAir(const std::string& source, std::chrono::milliseconds timeout, size_t index) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (onAir(index) == source) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

namespace {
/// What a Prometheus scraper would object to in `text` (empty: nothing): a sample of a family
/// without HELP and TYPE before it, or a family declared twice.
std::string expositionProblem(const std::string& text) {
    std::set<std::string> help, type;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string first, second, name;
        words >> first;
        if (first == "#") {
            words >> second >> name;
            auto& seen = second == "HELP" ? help : type;
            if (!seen.insert(name).second) return name + " has two " + second + " lines";
            continue;
        }
        name = first.substr(0, first.find('{'));
        if (!help.count(name) || !type.count(name)) return name + " has no HELP and TYPE before its sample";
    }
    return {};
}
}  // namespace

double ApiClient::metric(const std::string& series) const {
    const auto r = call("GET", "/metrics");
    if (const auto problem = expositionProblem(r.body); !problem.empty()) ADD_FAILURE() << "/metrics: " << problem;
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
}

double ApiClient::waitMetric(const std::string& series, double atLeast, std::chrono::milliseconds timeout) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    double value = metric(series);
    while (value < atLeast && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        value = metric(series);
    }
    return value;
}

}  // namespace loa::test
