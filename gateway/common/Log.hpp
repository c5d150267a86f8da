#pragma once
// Logging with a per-file tag and a process-wide level. Per-packet paths use RateLimit.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <string_view>

namespace loa::log {

enum class Level : int { trace = 0, debug, info, warn, error, off };

void setLevel(Level level);
Level level();
inline bool enabled(Level l) {
    return l >= level();
}
/// Parses "trace".."error"/"off"; returns false for anything else.
bool parseLevel(std::string_view text, Level& out);
/// Hands a line to the log's writer thread (it never waits on stderr itself).
void write(Level level, std::string_view tag, std::string_view message);
/// Waits until every line handed over so far is written (tests that read stderr).
void flush();

/// One log line, written when it goes out of scope.
class Line {
public:
    Line(Level level, std::string_view tag) : level_(level), tag_(tag) {}
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;
    ~Line() { write(level_, tag_, stream_.str()); }
    template <class T>
    Line& operator<<(const T& value) {
        stream_ << value;
        return *this;
    }

private:
    Level level_;
    std::string_view tag_;
    std::ostringstream stream_;
};

/// Lets through at most `burst` events per `interval`; counts what it held back so the next
/// allowed line can say how many were suppressed. Not thread-safe: one per owning thread.
class RateLimit {
public:
    explicit RateLimit(std::chrono::milliseconds interval = std::chrono::seconds(5), uint32_t burst = 5)
        : interval_(interval), burst_(burst) {}
    /// True if this event may be logged; `suppressed` receives the count held back since the last.
    bool allow(uint64_t& suppressed);

private:
    std::chrono::milliseconds interval_;
    uint32_t burst_;
    std::chrono::steady_clock::time_point windowStart_{};
    uint32_t inWindow_ = 0;
    uint64_t suppressed_ = 0;
};

}  // namespace loa::log

#define LOA_LOG(lvl, tag)                               \
    if (!::loa::log::enabled(::loa::log::Level::lvl)) { \
    } else                                              \
        ::loa::log::Line(::loa::log::Level::lvl, tag)
