#pragma once
// A fan-out worker: one thread that owns a shard of the destinations and their SRTP contexts
// outright. For each programme frame it writes each destination's own RTP header, protects it
// with the destination's key and queues it into sendmmsg batches, spreading its destinations
// over fixed pacing slots of the frame interval so no station waits behind a burst of
// thousands. Control threads reach it only through its queues; nothing on its send path locks
// or allocates.

#include <sys/socket.h>
#include <time.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/Log.hpp"
#include "fanout/Destination.hpp"
#include "fanout/FrameQueue.hpp"
#include "fanout/LatencyHistogram.hpp"
#include "srtp/IndexReservation.hpp"

namespace loa {

struct FanoutPacing {
    std::chrono::nanoseconds window{std::chrono::milliseconds(15)};  ///< spread a frame over this; 0 = at once
    unsigned slots = 10;                                             ///< fixed slots within the window
    /// A slot takes this many destinations (one sendmmsg batch) before the next slot is used;
    /// once all have as many, the least loaded slot takes the next. Few destinations thus go
    /// in one or two batches (each wake-up costs more than the packets it would pace), many are
    /// spread evenly.
    unsigned fillPerSlot = 64;
    /// SCHED_FIFO priority for the worker threads (1-99), so a slot that is due is sent at once
    /// instead of waiting behind other work on the core; 0 keeps normal scheduling. Needs
    /// RLIMIT_RTPRIO (systemd: LimitRTPRIO=) or CAP_SYS_NICE; without, the worker says so once
    /// and runs at normal priority.
    int realtimePriority = 0;
};

/// Figures a worker publishes for any thread to read.
struct WorkerStats {
    std::atomic<uint64_t> frames{0};
    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> sendErrors{0};
    std::atomic<uint64_t> wouldBlock{0};
    std::atomic<uint64_t> lateFrames{0};     ///< a frame arrived before the previous one was all sent
    std::atomic<uint64_t> droppedFrames{0};  ///< the worker's queue was full
    std::atomic<uint64_t> destinations{0};
    std::atomic<bool> realtime{false};  ///< the thread runs under SCHED_FIFO
    LatencyHistogram spread;  ///< frame ready to its last packet sent
};

class FanoutWorker {
public:
    FanoutWorker(unsigned index, uint8_t extensionId, FanoutPacing pacing, const IndexReservation& reservation);
    ~FanoutWorker();
    FanoutWorker(const FanoutWorker&) = delete;
    FanoutWorker& operator=(const FanoutWorker&) = delete;

    void start();
    void stop();

    /// Programme thread (the only producer): hands a frame over. Never blocks.
    void post(size_t programme, const FramePtr& frame, uint8_t payloadType);
    /// Control threads: changes take effect between two slots; the others see no gap.
    void add(std::unique_ptr<Destination> destination);
    void remove(const std::string& id);
    /// Control threads: the destination follows `programme` from its next frame on, its stream
    /// continuing (same SSRC, next sequence number, timestamps advancing by the time between).
    void follow(const std::string& id, size_t programme);
    /// Control threads: the destination's packets go to `address` from its next packet on.
    void moveTo(const std::string& id, const SocketAddress& address);
    /// Control threads: a copy of every destination's status, taken by the worker (waits for it).
    std::vector<DestinationStatus> snapshot();

    const WorkerStats& stats() const { return stats_; }
    uint32_t highestRolloverCounter() const { return highestRoc_.load(std::memory_order_relaxed); }
    /// The CPU-time clock of the worker's thread (for benchmarks).
    clockid_t cpuClock() const;
    /// The worker thread's kernel id, once running (for /proc/self/task/TID).
    pid_t threadId() const { return tid_.load(std::memory_order_acquire); }

private:
    struct Job {
        QueuedFrame item;
        std::chrono::steady_clock::time_point ready;   ///< for the spread figure
        std::chrono::steady_clock::time_point anchor;  ///< slot 0's time
        unsigned nextSlot = 0;
    };
    /// What a control thread asks of the worker, applied between two frames in order.
    struct Add {
        std::unique_ptr<Destination> destination;
    };
    struct Remove {
        std::string id;
    };
    struct Follow {
        std::string id;
        size_t programme = 0;
    };
    struct Move {
        std::string id;
        SocketAddress address;
    };
    struct Snapshot {
        std::function<void(std::vector<DestinationStatus>)> answer;
    };
    using Command = std::variant<Add, Remove, Follow, Move, Snapshot>;

    void run();
    /// Control threads: queues a command for the worker and wakes it.
    void enqueue(Command command);
    void applyCommands();
    void addNow(std::unique_ptr<Destination> d);
    void removeNow(const std::string& id);
    void takeFrames();
    /// Sends every slot of every job that is due; returns when the next slot is due (or max).
    std::chrono::steady_clock::time_point sendDueSlots();
    void sendSlot(Job& job, unsigned slot);
    void queuePacket(Destination& d, const Job& job);
    void flush();
    std::chrono::steady_clock::time_point slotTime(const Job& job, unsigned slot) const;
    void wake();

    unsigned index_;
    uint8_t extensionId_;
    FanoutPacing pacing_;
    const IndexReservation& reservation_;

    // Owned by the worker thread.
    std::vector<std::vector<std::unique_ptr<Destination>>> slots_;
    std::unordered_map<std::string, std::pair<unsigned, size_t>> where_;  // id -> (slot, position)
    std::vector<Job> jobs_;
    /// The last rollover counter of every destination removed in this run, by id.
    std::unordered_map<std::string, uint32_t> lastRoc_;
    static constexpr size_t kBatch = 64;
    static constexpr size_t kMaxPacket = 1500;
    std::array<std::array<uint8_t, kMaxPacket>, kBatch> buffers_{};
    std::array<iovec, kBatch> iovecs_{};
    std::array<mmsghdr, kBatch> messages_{};
    std::array<Destination*, kBatch> owners_{};
    size_t queued_ = 0;
    int batchFd_ = -1;
    log::RateLimit errorLog_;

    // Shared with other threads.
    FrameQueue frames_;
    std::mutex commandsMutex_;
    std::vector<Command> commands_;
    std::atomic<bool> commandsPending_{false};
    std::atomic<uint32_t> wakeups_{0};
    std::atomic<bool> running_{false};
    std::atomic<pid_t> tid_{0};
    std::atomic<uint32_t> highestRoc_{0};
    WorkerStats stats_;
    std::thread thread_;
};

}  // namespace loa
