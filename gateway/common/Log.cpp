#include "common/Log.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace loa::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_writeMutex;

const char* name(Level l) {
    switch (l) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info ";
        case Level::warn:
            return "warn ";
        case Level::error:
            return "error";
        case Level::off:
            return "off  ";
    }
    return "?";
}
}  // namespace

void setLevel(Level level) {
    g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}
Level level() {
    return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}

bool parseLevel(std::string_view text, Level& out) {
    static constexpr std::pair<std::string_view, Level> kNames[] = {{"trace", Level::trace}, {"debug", Level::debug},
                                                                    {"info", Level::info},   {"warn", Level::warn},
                                                                    {"error", Level::error}, {"off", Level::off}};
    for (const auto& [n, l] : kNames) {
        if (n == text) {
            out = l;
            return true;
        }
    }
    return false;
}

void write(Level level, std::string_view tag, std::string_view message) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    char when[64];
    std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ts.tv_nsec / 1000000);
    std::lock_guard lock(g_writeMutex);
    std::fprintf(stderr, "%s %s [%.*s] %.*s\n", when, name(level), static_cast<int>(tag.size()), tag.data(),
                 static_cast<int>(message.size()), message.data());
}

bool RateLimit::allow(uint64_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    if (now - windowStart_ >= interval_) {
        windowStart_ = now;
        inWindow_ = 0;
    }
    if (inWindow_ < burst_) {
        ++inWindow_;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }
    ++suppressed_;
    return false;
}

}  // namespace loa::log
