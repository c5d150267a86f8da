#include "fanout/FanoutEngine.hpp"

#include <algorithm>
#include <functional>
#include <thread>

namespace loa {

FanoutEngine::FanoutEngine(const IndexReservation& reservation, FanoutOptions options) {
    const unsigned n = options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<FanoutWorker>(i, options.extensionId, options.pacing, reservation));
    }
}

FanoutEngine::~FanoutEngine() {
    stop();
}

void FanoutEngine::start() {
    for (auto& w : workers_)
        w->start();
}

void FanoutEngine::stop() {
    for (auto& w : workers_)
        w->stop();
}

void FanoutEngine::publish(size_t programme, const FramePtr& frame, uint8_t payloadType) {
    for (auto& w : workers_)
        w->post(programme, frame, payloadType);
}

FanoutWorker& FanoutEngine::workerFor(const std::string& id) {
    return *workers_[std::hash<std::string>{}(id) % workers_.size()];
}

void FanoutEngine::add(std::unique_ptr<Destination> destination) {
    auto& w = workerFor(destination->id);
    w.add(std::move(destination));
}

void FanoutEngine::remove(const std::string& id) {
    workerFor(id).remove(id);
}

void FanoutEngine::follow(const std::string& id, size_t programme) {
    workerFor(id).follow(id, programme);
}

std::vector<DestinationStatus> FanoutEngine::destinations() {
    std::vector<DestinationStatus> all;
    for (auto& w : workers_) {
        auto part = w->snapshot();
        all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
}

std::optional<DestinationStatus> FanoutEngine::destination(const std::string& id) {
    for (auto& d : workerFor(id).snapshot()) {
        if (d.id == id) return std::move(d);
    }
    return std::nullopt;
}

FanoutTotals FanoutEngine::totals() const {
    FanoutTotals t;
    for (const auto& w : workers_) {
        const auto& s = w->stats();
        t.frames = std::max<uint64_t>(t.frames, s.frames.load(std::memory_order_relaxed));
        t.packets += s.packets.load(std::memory_order_relaxed);
        t.bytes += s.bytes.load(std::memory_order_relaxed);
        t.sendErrors += s.sendErrors.load(std::memory_order_relaxed);
        t.wouldBlock += s.wouldBlock.load(std::memory_order_relaxed);
        t.lateFrames += s.lateFrames.load(std::memory_order_relaxed);
        t.droppedFrames += s.droppedFrames.load(std::memory_order_relaxed);
        t.destinations += s.destinations.load(std::memory_order_relaxed);
        t.realtimeWorkers += s.realtime.load(std::memory_order_relaxed) ? 1 : 0;
    }
    return t;
}

uint32_t FanoutEngine::highestRolloverCounter() const {
    uint32_t highest = 0;
    for (const auto& w : workers_)
        highest = std::max(highest, w->highestRolloverCounter());
    return highest;
}

}  // namespace loa

namespace loa {

void FanoutEngine::moveTo(const std::string& id, const SocketAddress& address) {
    workerFor(id).moveTo(id, address);
}

}  // namespace loa
