#pragma once
// Durable replay floors: trust that survives a restart (DESIGN.md, docs/srtp.md).
//
// libsrtp refuses a replayed packet only while the process that saw the original still runs. So
// every stream a receiving path authenticates (a station's reports under its key, one SSRC of a
// live feed or an upstream under the feed's key) has a ceiling here: a packet index that is
// saved, and synced, before any index up to it is acted on. Whatever a restarted gateway may have
// acted on before therefore lies at or below the saved ceiling, which becomes the stream's floor:
// at or below it, nothing is acted on again, whatever the moment of a kill -9.
//
// The ceiling is kept a margin ahead of the newest index acted on and raised in batches, one
// transaction for every stream that needs it, at most four times a second: nothing is written
// per packet. A sender that simply continues after a restart is accepted again as soon as its
// index passes the floor, which is at most its margin ahead of where it was.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/Log.hpp"
#include "state/Sqlite.hpp"

namespace loa {

class ReplayFloors {
public:
    /// One stream's floor and ceiling. The thread that receives the stream calls admit() and
    /// accepted() (no locks: atomics); the flusher raises the ceiling.
    class Stream {
    public:
        enum class Verdict {
            ok,     ///< above the floor and within the saved ceiling: may be acted on
            stale,  ///< at or below the floor: captured before a restart, or older
            ahead,  ///< beyond the saved ceiling: not acted on until a flush covers it
        };
        /// For an authenticated packet's index. `ahead` asks for a ceiling that covers it.
        Verdict admit(uint64_t index);
        /// `index` was acted on: the ceiling is to stay the margin ahead of it.
        void accepted(uint64_t index);

        const std::string& key() const { return key_; }
        uint64_t floor() const { return floor_; }
        uint64_t ceiling() const { return ceiling_.load(std::memory_order_acquire); }
        /// The newest index acted on in this run (0: none yet).
        uint64_t highest() const { return highest_.load(std::memory_order_relaxed); }
        /// Where a receiver estimating indexes (no rollover counter in the packet) starts from.
        uint64_t reference() const { return std::max(highest(), floor_); }

    private:
        friend class ReplayFloors;
        void want(uint64_t ceiling);

        std::string key_;
        uint64_t margin_ = 1;
        uint64_t floor_ = 0;
        std::atomic<uint64_t> ceiling_{0};
        std::atomic<uint64_t> wanted_{0};
        std::atomic<uint64_t> highest_{0};
    };

    struct Counters {
        std::atomic<uint64_t> flushes{0};   ///< transactions written
        std::atomic<uint64_t> rows{0};      ///< ceilings written
        std::atomic<uint64_t> failures{0};  ///< flushes the database refused (the ceilings stay wanted)
        std::atomic<uint64_t> lastFlushUs{0}, maxFlushUs{0}, totalFlushUs{0};
    };

    /// Opens (or creates) the floors database and reads every saved ceiling. Throws loa::Error.
    explicit ReplayFloors(const std::filesystem::path& file);
    ~ReplayFloors();
    ReplayFloors(const ReplayFloors&) = delete;
    ReplayFloors& operator=(const ReplayFloors&) = delete;

    /// The stream named `key`, made on first use: its floor is the ceiling saved by an earlier
    /// run (0 if none), and `margin` indexes above it are asked for at once. The reference stays
    /// valid as long as this object. Thread-safe.
    Stream& stream(const std::string& key, uint64_t margin);

    /// The ceiling saved for `key` by any run so far (0: none), without making a stream: what an
    /// unauthenticated packet may be estimated against. Thread-safe.
    uint64_t saved(const std::string& key);

    /// Saves every ceiling asked for, in one transaction, and raises them once it is on disk.
    /// False if the database refused (they stay asked for). Thread-safe.
    bool flush();
    /// Starts the flusher thread (after one flush, so what was asked for at start is saved before
    /// anything is received); stop() ends it with a last flush.
    void start();
    void stop();

    const Counters& counters() const { return counters_; }
    size_t streams();

    /// How often the flusher looks for ceilings to save.
    static constexpr std::chrono::milliseconds kFlushEvery{250};

private:
    void run();

    SqliteDatabase db_;
    std::mutex mutex_;  ///< streams_ and db_ (held through a save)
    /// Ceilings saved by earlier runs (and this one): its own lock, never held through a save,
    /// so a receive thread looking up an unknown SSRC never waits on the disk.
    std::mutex storedMutex_;
    std::map<std::string, uint64_t> stored_;
    std::unordered_map<std::string, std::unique_ptr<Stream>> streams_;
    Counters counters_;
    log::RateLimit errorLog_{std::chrono::seconds(10), 1};

    std::mutex runMutex_;
    std::condition_variable wake_;
    bool running_ = false;
    std::thread thread_;
};

}  // namespace loa
