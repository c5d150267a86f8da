#include "common/Log.hpp"

#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

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

namespace {
/// Lines are written to stderr by a thread of their own: a thread that logs (the real-time media
/// thread among them) only hands a line over, and never waits on stderr (a journal pipe, a slow
/// terminal). Bounded: beyond it, lines are counted and said to be lost.
class Writer {
public:
    Writer() : thread_([this] { run(); }) {}
    ~Writer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    void push(std::string line) {
        {
            std::lock_guard lock(mutex_);
            if (lines_.size() >= kLimit) {
                ++lost_;
                return;
            }
            lines_.push_back(std::move(line));
            ++pushed_;
        }
        wake_.notify_one();
    }
    /// Waits until every line handed over so far is written.
    void flush() {
        std::unique_lock lock(mutex_);
        const uint64_t target = pushed_;
        written_wake_.wait(lock, [&] { return written_ >= target; });
    }

private:
    static constexpr size_t kLimit = 8192;
    void run() {
        std::deque<std::string> batch;
        for (;;) {
            uint64_t lost = 0;
            bool stopping = false;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return !lines_.empty() || stopping_; });
                batch.swap(lines_);
                lost = std::exchange(lost_, 0);
                stopping = stopping_;
            }
            {
                std::lock_guard out(g_writeMutex);
                for (const auto& line : batch)
                    std::fwrite(line.data(), 1, line.size(), stderr);
                if (lost) {
                    std::fprintf(stderr, "(%llu log lines lost: the log fell behind)\n",
                                 static_cast<unsigned long long>(lost));
                }
                std::fflush(stderr);
            }
            {
                std::lock_guard lock(mutex_);
                written_ += batch.size();
            }
            written_wake_.notify_all();
            batch.clear();
            if (stopping) {
                std::lock_guard lock(mutex_);
                if (lines_.empty()) return;
            }
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_, written_wake_;
    std::deque<std::string> lines_;
    uint64_t pushed_ = 0, written_ = 0;
    uint64_t lost_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

Writer& writer() {
    static Writer w;
    return w;
}
}  // namespace

void flush() {
    writer().flush();
}

void write(Level level, std::string_view tag, std::string_view message) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    char when[64];
    std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ts.tv_nsec / 1000000);
    std::string line;
    line.reserve(48 + tag.size() + message.size());
    line.append(when).append(" ").append(name(level)).append(" [").append(tag).append("] ").append(message).append("\n");
    writer().push(std::move(line));
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
