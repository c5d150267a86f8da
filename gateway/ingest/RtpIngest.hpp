#pragma once
// The receiving edge of a live source: one UDP port, its own thread. Each datagram is
// authenticated and decrypted (SRTP, unless the config trusts plain RTP), checked, timestamped
// on arrival and queued for the programme clock. One SSRC is locked: another one takes over only
// after the locked one has been silent for the configured time, so a stray or second encoder
// cannot interleave with the studio.
//
// Replays are refused across restarts too: each SSRC under the feed's key has a durable replay
// floor (ReplayFloors), and a packet at or below it is never queued, whatever was captured
// before the gateway restarted. A feed may also be pinned to source addresses or networks.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ingest/IngestOptions.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/RtpPacket.hpp"
#include "srtp/SrtpSession.hpp"
#include "state/ReplayFloors.hpp"

namespace loa {

struct IngestPacket {
    std::chrono::steady_clock::time_point arrival;
    uint32_t ssrc = 0;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint8_t priority = 0;  ///< from the stream-info extension; 0 without one
    std::optional<AlertInfo> alert;  ///< the parent's alert this packet's audio belongs to
    std::vector<uint8_t> payload;
};

struct IngestCounters {
    std::atomic<uint64_t> received{0};  ///< accepted packets
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> authFailures{0};    ///< SRTP authentication or decryption failed
    std::atomic<uint64_t> replays{0};         ///< repeated packets (SRTP replay window)
    std::atomic<uint64_t> stale{0};           ///< at or below the durable floor: from before a restart
    std::atomic<uint64_t> unsaved{0};         ///< beyond the saved floor, which could not be saved
    std::atomic<uint64_t> unexpectedSource{0};  ///< from an address the feed is not pinned to
    std::atomic<uint64_t> malformed{0};       ///< not RTP, RTCP, empty or wrong payload type
    std::atomic<uint64_t> foreignSsrc{0};     ///< from an SSRC other than the locked one
    std::atomic<uint64_t> ssrcChanges{0};     ///< a new SSRC took over
    std::atomic<uint64_t> queueOverflows{0};  ///< dropped because the programme clock fell behind
};

class RtpIngest {
public:
    /// Binds the port (throws loa::Error naming the address). `name` is for logs and names the
    /// feed's replay floors in `floors` (none: replays are refused only within this run).
    RtpIngest(std::string name, const IngestSettings& settings, uint8_t extensionId, ReplayFloors* floors = nullptr);
    /// How far the saved floor of an SSRC stays ahead of its newest packet: a second of 20 ms
    /// packets. A studio that simply continues after a restart is back within that.
    static constexpr uint64_t kFloorMargin = 50;
    ~RtpIngest();
    RtpIngest(const RtpIngest&) = delete;
    RtpIngest& operator=(const RtpIngest&) = delete;

    /// Before start(): the receive thread runs under SCHED_FIFO at this priority (0: normal), like
    /// the media thread it feeds, so that its packets are not late on a busy machine.
    void setRealtimePriority(int priority) { realtimePriority_ = priority; }
    void start();
    void stop();
    /// Appends the packets that arrived since the last call (in arrival order) to `out`.
    void drain(std::vector<IngestPacket>& out);
    const IngestCounters& counters() const { return counters_; }
    const std::string& name() const { return name_; }
    /// Datagrams too long to be a packet of ours, dropped unread.
    uint64_t oversized() const { return socket_.oversized(); }
    SocketAddress localAddress() const { return socket_.localAddress(); }

    /// Told on the receive thread, at the first authentic packet, whenever the alert the feed's
    /// packets carry changes (to another alert, or to none): a parent's alert is relayed from
    /// its first packet. Set before start().
    using AlertObserver = std::function<void(const std::optional<AlertInfo>&)>;
    void onAlertChange(AlertObserver observer) { alertObserver_ = std::move(observer); }
    /// Any thread: the alert the feed's newest packets carry, if any.
    std::optional<AlertInfo> alert() const;

    /// Handles one datagram as the receive thread does (tests call it directly).
    void handle(std::span<uint8_t> datagram, std::chrono::steady_clock::time_point arrival,
                const SocketAddress& from = {});

private:
    void run();
    /// Logs a refusal, a few per interval.
    void refuse(std::string_view why, const SocketAddress& from);
    /// An SSRC whose packets authenticated: its newest index and its durable floor (if any).
    struct Seen {
        uint64_t highest = 0;
        ReplayFloors::Stream* floor = nullptr;
    };
    std::string floorKey(uint32_t ssrc) const;

    std::string name_;
    IngestSettings settings_;
    uint8_t extensionId_;
    UdpSocket socket_;
    std::optional<SrtpSession> srtp_;
    IngestCounters counters_;
    ReplayFloors* floors_;
    std::string keyId_;  ///< the feed key's fingerprint: floors are per key and SSRC
    std::unordered_map<uint32_t, Seen> seen_;  ///< authenticated SSRCs only: a flood cannot grow it
    log::RateLimit refusalLog_;
    AlertObserver alertObserver_;
    int realtimePriority_ = 0;
    mutable std::mutex alertMutex_;
    std::optional<AlertInfo> alert_;  ///< carried by the newest authentic packet (in sending order)
    uint64_t alertOrder_ = 0;        ///< that packet's index
    std::chrono::steady_clock::time_point lastAlertPacket_{};  ///< under alertMutex_
    std::chrono::steady_clock::time_point lastAccepted_{};

    std::optional<uint32_t> lockedSsrc_;
    std::chrono::steady_clock::time_point lastFromLocked_{};

    std::mutex mutex_;
    std::vector<IngestPacket> queue_;

    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace loa
