#pragma once
// One encoded programme frame: produced once, shared read-only by every destination.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <optional>

#include "rtp/PriorityLevel.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {

struct EncodedFrame {
    std::vector<uint8_t> payload;  ///< one Opus packet (RFC 7587 RTP payload)
    uint32_t timestamp = 0;        ///< programme media clock, 48 kHz, continuous
    uint64_t index = 0;            ///< frame number since the programme started
    PriorityLevel priority = PriorityLevel::scheduled;
    std::optional<AlertInfo> alert;               ///< the alert an emergency slot's frame belongs to
    std::chrono::steady_clock::time_point ready;  ///< when the encoder handed it over
    /// The programme clock's deadline for this frame: the fan-out paces its slots from here, so
    /// the encoder's own timing noise does not reach the stations. Unset: pace from `ready`.
    std::chrono::steady_clock::time_point due;
};

using FramePtr = std::shared_ptr<const EncodedFrame>;

}  // namespace loa
