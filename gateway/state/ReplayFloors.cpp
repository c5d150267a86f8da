#include "state/ReplayFloors.hpp"

#include <pthread.h>

#include <chrono>
#include <vector>

#include "state/StateStore.hpp"

namespace loa {
namespace {
constexpr std::string_view kReplayFloorsTag = "floors";

void raiseTo(std::atomic<uint64_t>& value, uint64_t to) {
    uint64_t current = value.load(std::memory_order_relaxed);
    while (current < to && !value.compare_exchange_weak(current, to, std::memory_order_acq_rel)) {
    }
}
}  // namespace

ReplayFloors::Stream::Verdict ReplayFloors::Stream::admit(uint64_t index) {
    if (index <= floor_) return Verdict::stale;
    if (index > ceiling_.load(std::memory_order_acquire)) {
        want(index + margin_);
        return Verdict::ahead;
    }
    return Verdict::ok;
}

void ReplayFloors::Stream::accepted(uint64_t index) {
    raiseTo(highest_, index);
    want(index + margin_);
}

void ReplayFloors::Stream::want(uint64_t ceiling) {
    raiseTo(wanted_, ceiling);
}

ReplayFloors::ReplayFloors(const std::filesystem::path& file) : db_(file) {
    try {
        db_.exec(
            "CREATE TABLE IF NOT EXISTS floors (key TEXT PRIMARY KEY, ceiling INTEGER NOT NULL, "
            "time_ms INTEGER NOT NULL)");
        SqliteStatement s(db_, "SELECT key, ceiling FROM floors");
        while (s.step())
            stored_[s.text(0)] = static_cast<uint64_t>(s.integer(1));
    } catch (const Error& e) {
        throw Error("cannot read the replay floors in " + file.string() + ": " + e.what());
    }
}

ReplayFloors::~ReplayFloors() {
    stop();
}

ReplayFloors::Stream& ReplayFloors::stream(const std::string& key, uint64_t margin) {
    std::lock_guard lock(mutex_);
    auto& slot = streams_[key];
    if (!slot) {
        slot = std::make_unique<Stream>();
        slot->key_ = key;
        if (const uint64_t ceiling = saved(key)) {
            // Everything an earlier run acted on is at or below its saved ceiling.
            slot->floor_ = ceiling;
            slot->ceiling_ = ceiling;
            slot->want(ceiling + margin);  // a sender that continues is accepted at once
        }
    }
    slot->margin_ = std::max<uint64_t>(1, margin);
    return *slot;
}

uint64_t ReplayFloors::saved(const std::string& key) {
    std::lock_guard lock(storedMutex_);
    const auto it = stored_.find(key);
    return it == stored_.end() ? 0 : it->second;
}

size_t ReplayFloors::streams() {
    std::lock_guard lock(mutex_);
    return streams_.size();
}

bool ReplayFloors::flush() {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<Stream*, uint64_t>> due;
    for (auto& [key, s] : streams_) {
        const uint64_t wanted = s->wanted_.load(std::memory_order_acquire);
        if (wanted > s->ceiling()) due.emplace_back(s.get(), wanted);
    }
    if (due.empty()) return true;
    const auto started = std::chrono::steady_clock::now();
    try {
        SqliteTransaction transaction(db_);
        SqliteStatement upsert(db_,
                               "INSERT INTO floors (key, ceiling, time_ms) VALUES (?, ?, ?) "
                               "ON CONFLICT(key) DO UPDATE SET ceiling = MAX(ceiling, excluded.ceiling), "
                               "time_ms = excluded.time_ms");
        const int64_t now = StateStore::nowMs();
        for (const auto& [s, wanted] : due) {
            upsert.bind(1, s->key_).bind(2, static_cast<int64_t>(wanted)).bind(3, now);
            upsert.step();
            upsert.reset();
        }
        transaction.commit();  // on disk (synchronous FULL) before any of it is used
    } catch (const std::exception& e) {
        counters_.failures.fetch_add(1, std::memory_order_relaxed);
        uint64_t suppressed = 0;
        if (errorLog_.allow(suppressed)) {
            LOA_LOG(error, kReplayFloorsTag) << "cannot save " << due.size() << " replay ceiling(s): " << e.what()
                                 << "; packets beyond the saved ceilings are refused until they can be ("
                                 << suppressed << " more failures not shown)";
        }
        return false;
    }
    {
        std::lock_guard stored(storedMutex_);
        for (const auto& [s, wanted] : due)
            stored_[s->key_] = std::max(stored_[s->key_], wanted);
    }
    for (const auto& [s, wanted] : due)
        raiseTo(s->ceiling_, wanted);
    const auto us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
    counters_.flushes.fetch_add(1, std::memory_order_relaxed);
    counters_.rows.fetch_add(due.size(), std::memory_order_relaxed);
    counters_.lastFlushUs.store(us, std::memory_order_relaxed);
    counters_.totalFlushUs.fetch_add(us, std::memory_order_relaxed);
    raiseTo(counters_.maxFlushUs, us);
    return true;
}

void ReplayFloors::start() {
    flush();
    std::lock_guard lock(runMutex_);
    if (running_) return;
    running_ = true;
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "loa-floors");
}

void ReplayFloors::stop() {
    {
        std::lock_guard lock(runMutex_);
        if (!running_) return;
        running_ = false;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    flush();
}

void ReplayFloors::run() {
    std::unique_lock lock(runMutex_);
    while (running_) {
        wake_.wait_for(lock, kFlushEvery, [this] { return !running_; });
        if (!running_) break;
        lock.unlock();
        flush();
        lock.lock();
    }
}

}  // namespace loa
