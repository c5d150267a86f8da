#pragma once
// One station as the fan-out sees it: where to send, its SRTP context, and its own continuous
// RTP stream (SSRC, sequence, timestamp) independent of what the programme does.

#include <cstdint>
#include <string>

#include "net/SocketAddress.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

struct DestinationCounters {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t sendErrors = 0;
    uint64_t wouldBlock = 0;
    uint64_t protectErrors = 0;
    uint64_t indexLimit = 0;  ///< packets held back: the ROC reservation ran out
};

struct Destination {
    std::string stationId;
    size_t programme = 0;  ///< index of the programme it follows
    SocketAddress address;
    SrtpSession srtp;
    uint32_t ssrc = 0;
    uint64_t nextIndex = 0;        ///< SRTP packet index of the next packet: ROC << 16 | sequence
    uint32_t timestampOffset = 0;  ///< added to the programme's media clock
    bool sentFirst = false;
    DestinationCounters counters;
};

}  // namespace loa
