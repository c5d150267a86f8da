#pragma once
// Many stations' receivers in one process, for tests and benchmarks at national scale, in one
// of two layouts: every station its own socket and port (as real stations are: the sender's
// kernel delivers to each socket), or every station a distinct loopback address (127.x.y.z) on
// one shared port, taken by a single socket with recvmmsg, IP_PKTINFO telling whose each packet
// is (cheap for the receiver). For every station it checks sequence continuity; for a sample
// it also authenticates and decrypts with the station's key; from kernel receive timestamps it
// measures each station's send jitter.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "fanout/LatencyHistogram.hpp"
#include "net/UdpSocket.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

class StationFarm {
public:
    struct Station {
        SocketAddress address;     ///< 127.x.y.z and the farm's port
        std::vector<uint8_t> key;  ///< empty: sequence checks only
        SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    };
    struct Counters {
        uint64_t received = 0;
        uint64_t missing = 0;     ///< sequence numbers skipped
        uint64_t outOfOrder = 0;  ///< behind the highest seen (late or duplicate)
        uint64_t authenticated = 0;
        uint64_t authFailures = 0;
        uint32_t ssrc = 0;
    };

    /// Shared port: binds 0.0.0.0:`port` (throws loa::Error if it cannot). `frame` is the
    /// expected interval between a station's packets.
    StationFarm(uint16_t port, std::vector<Station> stations, uint8_t extensionId,
                std::chrono::nanoseconds frame = std::chrono::milliseconds(20));
    /// A socket per station: binds each station's address (port 0: the kernel picks one, and
    /// stations() tells which).
    StationFarm(std::vector<Station> stations, uint8_t extensionId,
                std::chrono::nanoseconds frame = std::chrono::milliseconds(20));

    const std::vector<Station>& stations() const { return stations_; }

    /// Receives until `deadline`.
    void run(std::chrono::steady_clock::time_point deadline);

    const std::vector<Counters>& counters() const { return counters_; }
    /// |interval − frame| between consecutive packets of each station, from kernel timestamps.
    const LatencyHistogram& jitter() const { return jitter_; }
    uint64_t strays() const { return strays_; }  ///< packets for no known station, or not RTP

private:
    /// The state both layouts share: counters and, for stations with a key, SRTP sessions.
    StationFarm(std::vector<Station> stations, uint8_t extensionId, std::chrono::nanoseconds frame, std::nullptr_t);
    void runShared(std::chrono::steady_clock::time_point deadline);
    void runOwnSockets(std::chrono::steady_clock::time_point deadline);
    /// Receives a batch from `fd`; calls handle() with the station index from `station`, or
    /// from the packet's destination address when `station` is negative.
    void receiveBatch(int fd, long station);
    void handle(std::span<uint8_t> packet, size_t station, std::chrono::nanoseconds when);

    std::optional<UdpSocket> shared_;
    std::vector<UdpSocket> own_;
    std::vector<Station> stations_;
    std::vector<Counters> counters_;
    std::vector<std::unique_ptr<SrtpSession>> sessions_;
    std::vector<std::optional<uint16_t>> highest_;
    std::vector<std::chrono::nanoseconds> lastArrival_;
    std::unordered_map<uint32_t, size_t> byAddress_;  // IPv4 address (host order) -> station
    uint8_t extensionId_;
    std::chrono::nanoseconds frame_;
    LatencyHistogram jitter_;
    uint64_t strays_ = 0;
};

}  // namespace loa
