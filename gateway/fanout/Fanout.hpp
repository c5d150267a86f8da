#pragma once
// Sends each programme frame to every station that follows it: per station, an RTP header of its
// own stream with the priority extension, SRTP with its own key, batched into sendmmsg.

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/Log.hpp"
#include "fanout/Destination.hpp"
#include "net/UdpSocket.hpp"
#include "pipelines/EncodedFrame.hpp"
#include "srtp/RolloverReservation.hpp"

namespace loa {

class Fanout {
public:
    static constexpr size_t kBatch = 64;
    static constexpr size_t kMaxPacket = 1500;

    Fanout(UdpSocket& socket, uint8_t priorityExtensionId, const RolloverReservation& reservation);

    /// A destination with the given SSRC and a random timestamp offset.
    static std::unique_ptr<Destination> makeDestination(std::string stationId, size_t programme,
                                                        const SocketAddress& address, uint32_t ssrc, SrtpSession srtp);
    /// Starts the destination's stream at a ROC no packet of this run has used, so a station
    /// removed and added again never repeats a packet index under its key.
    void add(std::unique_ptr<Destination> destination);
    /// The highest ROC any destination has used (for extending the reservation). Any thread.
    uint32_t highestRolloverCounter() const { return highestRoc_.load(std::memory_order_relaxed); }
    bool remove(std::string_view stationId);
    const Destination* find(std::string_view stationId) const;
    const std::vector<std::unique_ptr<Destination>>& destinations() const { return destinations_; }

    /// Sends `frame` of programme `programme` to each of its destinations. Never throws; a
    /// destination that fails is counted and skipped, the others are not delayed.
    void send(size_t programme, const EncodedFrame& frame, uint8_t payloadType);

private:
    void flush();

    UdpSocket& socket_;
    uint8_t extensionId_;
    const RolloverReservation& reservation_;
    std::atomic<uint32_t> highestRoc_{0};
    bool anySent_ = false;
    std::vector<std::unique_ptr<Destination>> destinations_;
    std::array<std::array<uint8_t, kMaxPacket>, kBatch> buffers_{};
    std::array<iovec, kBatch> iovecs_{};
    std::array<mmsghdr, kBatch> messages_{};
    std::array<Destination*, kBatch> owners_{};
    size_t queued_ = 0;
    log::RateLimit errorLog_;
};

}  // namespace loa
