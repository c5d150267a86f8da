#pragma once
// One destination as the fan-out sees it: a station (unicast) or a multicast group. Where to
// send, its SRTP context, and its own continuous RTP stream (SSRC, sequence, timestamp)
// independent of what the programme does. Owned by exactly one fan-out worker.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "net/SocketAddress.hpp"
#include "srtp/SrtpSender.hpp"

namespace loa {

struct DestinationCounters {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t sendErrors = 0;     ///< the kernel refused the datagram (unreachable, no route, ...)
    uint64_t wouldBlock = 0;     ///< the socket buffer was full (EAGAIN/ENOBUFS): dropped, not queued
    uint64_t protectErrors = 0;  ///< libsrtp refused to protect
    uint64_t indexLimit = 0;     ///< held back: the SRTP rollover reservation ran out
};

/// Laid out for the send path, which reads it for every packet: the fields it uses first, then
/// the SRTP state, then the address (its length and first bytes), in one run of cache lines
/// (kDestinationHotBytes) that the worker prefetches ahead; the id, for control only, last.
struct Destination {
    size_t programme = 0;  ///< index of the programme it follows
    int fd = -1;           ///< the socket to send on (the media socket, or a multicast group's)
    uint32_t ssrc = 0;
    uint64_t nextIndex = 0;        ///< SRTP packet index of the next packet: ROC << 16 | sequence
    uint32_t timestampOffset = 0;  ///< added to the programme's media clock
    uint32_t lastTimestamp = 0;    ///< of the last packet sent
    std::chrono::steady_clock::time_point lastFrameTime{};  ///< slot 0 of the last frame sent
    bool sentFirst = false;
    bool rebase = false;  ///< it follows another programme: recompute the offset
    bool multicast = false;
    unsigned slot = 0;  ///< pacing slot within the frame interval
    DestinationCounters counters;
    SrtpSender srtp;
    SocketAddress address;
    std::string id;
};

/// The bytes of a Destination the send path touches: everything up to the address's first bytes.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
inline constexpr size_t kDestinationHotBytes = offsetof(Destination, address) + SocketAddress::usedBytes();
#pragma GCC diagnostic pop

/// What the control plane sees of a destination (copied out of its worker on request).
struct DestinationStatus {
    std::string id;
    unsigned worker = 0;
    unsigned slot = 0;
    bool multicast = false;
    SocketAddress address;
    uint32_t ssrc = 0;
    uint64_t nextIndex = 0;
    DestinationCounters counters;
};

/// A destination with the given SSRC and key, a random timestamp offset; its packet index is set
/// when a worker adds it. Throws loa::Error for a key of the wrong length.
std::unique_ptr<Destination> makeDestination(std::string id, size_t programme, const SocketAddress& address, int fd,
                                             uint32_t ssrc, SrtpProfile profile, std::span<const uint8_t> key,
                                             bool allowFastPath = true);

}  // namespace loa
