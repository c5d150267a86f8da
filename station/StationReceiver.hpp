#pragma once
// The reference station: receives one SRTP stream, authenticates and decrypts it, buffers it
// against jitter, decodes Opus (with in-band FEC and concealment for what is missing) on its own
// playout clock, and hands the audio to a sink (WAV file or audio device).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "OpusJitterDecoder.hpp"
#include "net/UdpSocket.hpp"
#include "rtp/JitterBuffer.hpp"
#include "sdp/StationSdp.hpp"
#include "srtp/IndexReservation.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

struct ReceiverStats {
    uint64_t received = 0;  ///< authenticated RTP packets
    uint64_t bytes = 0;
    uint64_t lost = 0;       ///< missing when their turn came, with later packets already here
    uint64_t underruns = 0;  ///< turns that came with the buffer empty
    uint64_t late = 0;       ///< arrived after their turn
    uint64_t duplicates = 0;
    uint64_t decryptFailures = 0;  ///< SRTP authentication or decryption failed
    uint64_t malformed = 0;        ///< not RTP, or wrong payload type
    uint64_t decoded = 0;          ///< frames decoded from their own packet
    uint64_t fecRecovered = 0;     ///< frames rebuilt from the next packet's FEC data
    uint64_t concealed = 0;        ///< frames filled by packet-loss concealment
    uint64_t undecodable = 0;      ///< payloads the Opus decoder refused (played as silence)
    uint64_t restarts = 0;         ///< stream restarts (sequence jumped)
    uint64_t rolloverResyncs = 0;  ///< times the SRTP rollover counter was taken from the sender
    uint64_t reportsSent = 0;      ///< receiver reports sent to the gateway
    uint32_t firstReportIndex = 0, lastReportIndex = 0;  ///< SRTCP indexes of this run's reports
    int lastPriority = 0;          ///< priority extension value of the last packet, 0 if none
    /// When (Unix time, ms, on arrival) the priority changed, and to what: tests and benches
    /// time an emergency's arrival with it across hosts that share a clock.
    std::vector<std::pair<int64_t, int>> priorityChanges;
    /// The alert heard last (its id and status, "" when none), and when (Unix ms) what the
    /// station heard changed from one alert, or none, to another: what it played, labelled.
    std::string alertId, alertStatus;
    struct AlertChange {
        int64_t atMs = 0;
        std::string id, status;  ///< empty: no alert from then on
    };
    std::vector<AlertChange> alertChanges;
    uint32_t ssrc = 0;
    std::string toJson() const;
};

class StationReceiver {
public:
    using Sink = std::function<void(std::span<const float>)>;

    /// `stream` gives the key, payload type, channels and the address to listen on; for a
    /// multicast group, the receiver joins it on the interface with address `multicastInterface`.
    /// With stream.reportTo set (and not a multicast group), the receiver sends an SRTCP receiver
    /// report there every `reportInterval` (every second while it hears nothing), from its own
    /// port: the gateway learns from it where to send (symmetric RTP keeps a NAT or 4G path open).
    ///
    /// A report's SRTCP index never repeats under the station's key, across restarts and
    /// reboots (RFC 3711 §9.1): with `stateDir`, indexes are reserved ahead in a file there,
    /// synced before use; they also never fall below one per second of the wall clock since
    /// 2020-09-13 (reports are at least a second apart), which is all a station without a state
    /// directory has, and lets one whose state was lost but whose clock is right go on at once.
    StationReceiver(const StationStream& stream, int jitterMs, Sink sink,
                    const SocketAddress* multicastInterface = nullptr,
                    std::chrono::milliseconds reportInterval = std::chrono::seconds(2),
                    std::optional<std::filesystem::path> stateDir = std::nullopt);
    /// The clock's share of the report index: seconds since Unix time 1.6e9 (2020-09-13).
    static uint32_t clockReportIndex();
    ~StationReceiver();

    /// Runs until `deadline` or until `stop` becomes true.
    void run(std::chrono::steady_clock::time_point deadline, const volatile bool& stop);
    const ReceiverStats& stats() const { return stats_; }
    int channels() const { return channels_; }

private:
    void sendReport();
    void receiveAll(std::chrono::steady_clock::time_point now);
    void handlePacket(std::span<uint8_t> packet, std::chrono::steady_clock::time_point now);
    void playOne();

    StationStream stream_;
    UdpSocket socket_;
    SrtpSession srtp_;
    JitterBuffer jitter_;
    OpusJitterDecoder decoder_;
    Sink sink_;
    int channels_;
    std::chrono::milliseconds jitterDelay_;
    std::chrono::milliseconds reportInterval_;
    int frameSamples_ = 960;
    std::vector<float> pcm_;
    bool playing_ = false;
    std::chrono::steady_clock::time_point nextPlayout_{};
    std::chrono::steady_clock::time_point lastArrival_{};

    // Receiver reports to the gateway (stream.reportTo), SRTCP under the station's own key.
    std::optional<SrtpSession> reportSrtp_;
    std::optional<IndexReservation> reportIndexes_;  ///< with a state directory
    uint32_t nextReportIndex_ = 1;
    std::chrono::steady_clock::time_point nextReport_{};
    uint64_t reportedExpected_ = 0, reportedLost_ = 0;
    uint16_t highestSequence_ = 0;
    double jitter_ts_ = 0;  ///< RFC 3550 interarrival jitter, 48 kHz units
    std::optional<std::pair<std::chrono::steady_clock::time_point, uint32_t>> lastTransit_;
    ReceiverStats stats_;
};

}  // namespace loa
