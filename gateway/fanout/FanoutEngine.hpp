#pragma once
// The fan-out engine: the programme is encoded once, and each frame, one immutable
// reference-counted packet, is handed to every worker; the workers share the destinations
// between them (by a hash of the destination id) and send in parallel.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fanout/FanoutWorker.hpp"

namespace loa {

struct FanoutOptions {
    unsigned workers = 0;  ///< 0: one per core
    uint8_t extensionId = 1;
    FanoutPacing pacing;
};

/// Totals over the workers, and each worker's own figures.
struct FanoutTotals {
    uint64_t frames = 0, packets = 0, bytes = 0, sendErrors = 0, wouldBlock = 0, lateFrames = 0, droppedFrames = 0;
    uint64_t destinations = 0;
    uint64_t realtimeWorkers = 0;  ///< workers running under SCHED_FIFO
};

class FanoutEngine {
public:
    FanoutEngine(const IndexReservation& reservation, FanoutOptions options);
    ~FanoutEngine();
    FanoutEngine(const FanoutEngine&) = delete;
    FanoutEngine& operator=(const FanoutEngine&) = delete;

    void start();
    void stop();

    /// Programme thread: hands `frame` of `programme` to every worker. Never blocks.
    void publish(size_t programme, const FramePtr& frame, uint8_t payloadType);
    /// Control threads: runtime changes, applied by the owning worker between two slots.
    void add(std::unique_ptr<Destination> destination);
    void remove(const std::string& id);
    /// The destination follows another programme from its next frame, its stream continuous.
    void follow(const std::string& id, size_t programme);
    /// The destination's stream goes to `address` from its next packet (a station's learned address).
    void moveTo(const std::string& id, const SocketAddress& address);
    /// Control threads: every destination's status (a copy taken by each worker).
    std::vector<DestinationStatus> destinations();
    /// Control threads: one destination's status, if it is there (asks only its worker).
    std::optional<DestinationStatus> destination(const std::string& id);

    unsigned workerCount() const { return static_cast<unsigned>(workers_.size()); }
    const FanoutWorker& worker(unsigned i) const { return *workers_[i]; }
    FanoutTotals totals() const;
    uint32_t highestRolloverCounter() const;

private:
    FanoutWorker& workerFor(const std::string& id);

    std::vector<std::unique_ptr<FanoutWorker>> workers_;
};

}  // namespace loa
