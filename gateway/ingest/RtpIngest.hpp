#pragma once
// The receiving edge of a live source: one UDP port, its own thread. Each datagram is
// authenticated and decrypted (SRTP, unless the config trusts plain RTP), checked, timestamped
// on arrival and queued for the programme clock. One SSRC is locked: another one takes over only
// after the locked one has been silent for the configured time, so a stray or second encoder
// cannot interleave with the studio.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/UdpSocket.hpp"
#include "settings/Settings.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

struct IngestPacket {
    std::chrono::steady_clock::time_point arrival;
    uint32_t ssrc = 0;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint8_t priority = 0;  ///< from the stream-info extension; 0 without one
    std::vector<uint8_t> payload;
};

struct IngestCounters {
    std::atomic<uint64_t> received{0};  ///< accepted packets
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> authFailures{0};    ///< SRTP authentication or decryption failed
    std::atomic<uint64_t> replays{0};         ///< repeated packets (SRTP replay window)
    std::atomic<uint64_t> malformed{0};       ///< not RTP, RTCP, empty or wrong payload type
    std::atomic<uint64_t> foreignSsrc{0};     ///< from an SSRC other than the locked one
    std::atomic<uint64_t> ssrcChanges{0};     ///< a new SSRC took over
    std::atomic<uint64_t> queueOverflows{0};  ///< dropped because the programme clock fell behind
};

class RtpIngest {
public:
    /// Binds the port (throws loa::Error naming the address). `name` is for logs.
    RtpIngest(std::string name, const IngestSettings& settings, uint8_t extensionId);
    ~RtpIngest();
    RtpIngest(const RtpIngest&) = delete;
    RtpIngest& operator=(const RtpIngest&) = delete;

    void start();
    void stop();
    /// Appends the packets that arrived since the last call (in arrival order) to `out`.
    void drain(std::vector<IngestPacket>& out);
    const IngestCounters& counters() const { return counters_; }
    const std::string& name() const { return name_; }
    /// Datagrams too long to be a packet of ours, dropped unread.
    uint64_t oversized() const { return socket_.oversized(); }
    SocketAddress localAddress() const { return socket_.localAddress(); }

    /// Handles one datagram as the receive thread does (tests call it directly).
    void handle(std::span<uint8_t> datagram, std::chrono::steady_clock::time_point arrival);

private:
    void run();

    std::string name_;
    IngestSettings settings_;
    uint8_t extensionId_;
    UdpSocket socket_;
    std::optional<SrtpSession> srtp_;
    IngestCounters counters_;

    std::optional<uint32_t> lockedSsrc_;
    std::chrono::steady_clock::time_point lastFromLocked_{};

    std::mutex mutex_;
    std::vector<IngestPacket> queue_;

    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace loa
